"""Brain-Score model plugin 'neuroalign-resnet18-random', written by `neuroalign register` (neuroalign 0.1.0)."""

from brainscore_vision import model_registry

from .model import get_model

model_registry['neuroalign-resnet18-random'] = lambda: get_model('neuroalign-resnet18-random')
