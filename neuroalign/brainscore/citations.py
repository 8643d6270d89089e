"""BibTeX of the papers a Brain-Score plugin must cite: the training objective and the network.

:func:`plugin_bibtex` picks them for a loaded model: the CLAMP paper (Zhang, Heeger & Martiniani,
NeurIPS 2025, arXiv 2506.13717) for CLAMP-trained checkpoints, the loss's own paper for the
other losses of :data:`neuroalign.losses.LOSSES`, ResNet (He et al. 2016) for ResNets, timm for
timm weights.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["ARCHITECTURES", "LOSSES", "SOFTWARE", "plugin_bibtex"]

#: Training objective (``config["loss"]`` of a checkpoint) -> BibTeX.
LOSSES: dict[str, str] = {
    "clamp": """@inproceedings{zhang2025clamp,
  title = {Contrastive Self-Supervised Learning As Neural Manifold Packing},
  author = {Zhang, Guanming and Heeger, David J. and Martiniani, Stefano},
  booktitle = {Advances in Neural Information Processing Systems (NeurIPS)},
  year = {2025},
  eprint = {2506.13717},
  archivePrefix = {arXiv}
}""",
    "simclr": """@inproceedings{chen2020simclr,
  title = {A Simple Framework for Contrastive Learning of Visual Representations},
  author = {Chen, Ting and Kornblith, Simon and Norouzi, Mohammad and Hinton, Geoffrey},
  booktitle = {International Conference on Machine Learning (ICML)},
  year = {2020}
}""",
    "vicreg": """@inproceedings{bardes2022vicreg,
  title = {{VICReg}: Variance-Invariance-Covariance Regularization for Self-Supervised Learning},
  author = {Bardes, Adrien and Ponce, Jean and LeCun, Yann},
  booktitle = {International Conference on Learning Representations (ICLR)},
  year = {2022}
}""",
    "mmcr": """@inproceedings{yerxa2023mmcr,
  title = {Learning Efficient Coding of Natural Images with Maximum Manifold Capacity Representations},
  author = {Yerxa, Thomas and Kuang, Yilun and Simoncelli, Eero and Chung, SueYeon},
  booktitle = {Advances in Neural Information Processing Systems (NeurIPS)},
  year = {2023}
}""",
    "directclr": """@inproceedings{jing2022directclr,
  title = {Understanding Dimensional Collapse in Contrastive Self-supervised Learning},
  author = {Jing, Li and Vincent, Pascal and LeCun, Yann and Tian, Yuandong},
  booktitle = {International Conference on Learning Representations (ICLR)},
  year = {2022}
}""",
    "adadim": """@article{kokilepersaud2025adadim,
  title = {{AdaDim}: Dimensionality Adaptation for {SSL} Representational Dynamics},
  author = {Kokilepersaud, Kiran and Prabhushankar, Mohit and AlRegib, Ghassan},
  journal = {arXiv preprint arXiv:2505.12576},
  year = {2025}
}""",
}

#: Architecture family (name prefix) -> BibTeX.
ARCHITECTURES: dict[str, str] = {
    "resnet": """@inproceedings{he2016resnet,
  title = {Deep Residual Learning for Image Recognition},
  author = {He, Kaiming and Zhang, Xiangyu and Ren, Shaoqing and Sun, Jian},
  booktitle = {IEEE Conference on Computer Vision and Pattern Recognition (CVPR)},
  year = {2016}
}""",
}

#: Library that provides the weights -> BibTeX (when no architecture paper is known).
SOFTWARE: dict[str, str] = {
    "torchvision": """@misc{torchvision2016,
  title = {TorchVision: PyTorch's Computer Vision library},
  author = {{TorchVision maintainers and contributors}},
  year = {2016},
  howpublished = {\\url{https://github.com/pytorch/vision}}
}""",
    "timm": """@misc{wightman2019timm,
  title = {PyTorch Image Models},
  author = {Wightman, Ross},
  year = {2019},
  howpublished = {\\url{https://github.com/huggingface/pytorch-image-models}}
}""",
}


def plugin_bibtex(source: Mapping[str, Any]) -> str:
    """The BibTeX entries for a model described by ``LoadedModel.source``: its training loss
    (checkpoints), its architecture (or, unknown, the library), and timm for timm weights."""
    entries = []
    loss = str(source.get("loss") or "").lower()
    if loss in LOSSES:
        entries.append(LOSSES[loss])
    arch = str(source.get("arch") or "").lower()
    family = next((ARCHITECTURES[k] for k in ARCHITECTURES if arch.startswith(k)), None)
    library = str(source.get("library") or "")
    if family:
        entries.append(family)
    if library in SOFTWARE and (library == "timm" or not family):
        entries.append(SOFTWARE[library])
    return "\n\n".join(entries)
