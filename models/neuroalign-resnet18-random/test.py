"""Plugin test: the model loads under its identifier and records every committed region."""

import numpy as np
import pytest


@pytest.mark.parametrize("identifier", ['neuroalign-resnet18-random'])
def test_load_and_record(identifier, tmp_path):
    import brainscore_vision
    from brainscore_core.supported_data_standards.brainio.stimuli import StimulusSet
    from PIL import Image

    model = brainscore_vision.load_model(identifier)
    assert model.identifier == identifier
    assert model.visual_degrees() == 8
    rng = np.random.default_rng(0)
    paths = {}
    for i in range(3):
        paths[f"s{i}"] = tmp_path / f"s{i}.png"
        Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(paths[f"s{i}"])
    stimuli = StimulusSet({"stimulus_id": list(paths)})
    stimuli.stimulus_paths = paths
    stimuli.identifier = None
    for region in ['IT', 'V1', 'V2', 'V4']:
        model.start_recording(region, [(70, 170)])
        assembly = model.look_at(stimuli)
        assert set(assembly["stimulus_id"].values) == set(paths)
        assert set(assembly["region"].values) == {region}
