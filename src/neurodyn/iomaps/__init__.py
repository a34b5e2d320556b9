"""Input–output maps: architecture classes, critical points with Morse data, embedding obstructions."""

from neurodyn.iomaps.annuli import AnnuliFit, fit_annuli
from neurodyn.iomaps.architecture import ArchitectureClass, architecture_class
from neurodyn.iomaps.classes import MorseClasses, TrainedClass, morse_classes
from neurodyn.iomaps.critical import CriticalPoints, critical_points
from neurodyn.iomaps.embedding import EmbeddingObstructions, Obstruction, embedding_obstructions
from neurodyn.iomaps.experiments import ReversalFit, fit_reversal
from neurodyn.iomaps.proofs import prove_critical_points
from neurodyn.iomaps.rank import RankLoss, rank_loss

__all__ = ["AnnuliFit", "ArchitectureClass", "CriticalPoints", "EmbeddingObstructions", "MorseClasses", "Obstruction",
           "RankLoss", "ReversalFit", "TrainedClass", "architecture_class", "critical_points",
           "embedding_obstructions", "fit_annuli", "fit_reversal", "morse_classes", "prove_critical_points",
           "rank_loss"]
