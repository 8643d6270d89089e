"""DirectCLR (Jing et al. 2022): InfoNCE on the first d0 dims, projector-free training."""

from __future__ import annotations

import csv
import math

import pytest
import torch
import yaml

from neuroalign.backbones import create_ssl_model, load_checkpoint
from neuroalign.cli import build_parser
from neuroalign.cli.train import train_config
from neuroalign.losses import DirectCLRLoss, create_loss, directclr_loss, simclr_loss
from neuroalign.losses.directclr import DEFAULT_D0, DEFAULT_TEMPERATURE
from neuroalign.train import TrainConfig, train
from tests.conftest import TINY_TRAIN


def random_z(seed=0, n_views=2, batch=6, dim=7):
    return torch.randn(n_views, batch, dim, generator=torch.Generator().manual_seed(seed)).double()


def test_reference_defaults():
    # github.com/facebookresearch/directclr main.py: --dim 360, infoNCE temperature 0.1
    assert (DEFAULT_D0, DEFAULT_TEMPERATURE) == (360, 0.1)
    loss = DirectCLRLoss()
    assert (loss.d0, loss.temperature) == (360, 0.1)


@pytest.mark.parametrize(("n_views", "d0", "tau"), [(2, 1, 0.1), (2, 3, 0.5), (4, 7, 0.2)])
def test_equals_simclr_on_the_sub_vector(n_views, d0, tau):
    z = random_z(seed=d0, n_views=n_views)
    expected = simclr_loss(z[..., :d0].clone(), temperature=tau)
    torch.testing.assert_close(directclr_loss(z, d0=d0, temperature=tau), expected, rtol=0, atol=0)
    torch.testing.assert_close(DirectCLRLoss(d0, tau)(z), expected, rtol=0, atol=0)


def test_orthogonal_sub_vectors_known_value():
    # orthogonal first d0 = m B dims (and arbitrary rest): every log-softmax term is -log(N - 1)
    n_views, batch = 2, 3
    n = n_views * batch
    z = torch.cat([torch.eye(n), torch.randn(n, 5)], dim=1).double().reshape(n_views, batch, -1)
    assert directclr_loss(z, d0=n, temperature=0.3).item() == pytest.approx(math.log(n - 1))


def test_invariant_to_the_dimensions_beyond_d0():
    z = random_z(seed=1, dim=9)
    other = z.clone()
    other[..., 4:] = 100.0 * torch.randn(2, 6, 5, dtype=torch.float64)
    assert directclr_loss(other, d0=4).item() == directclr_loss(z, d0=4).item()


def test_gradient_is_zero_beyond_d0_and_not_before():
    z = random_z(seed=2, dim=9).requires_grad_(True)
    directclr_loss(z, d0=4).backward()
    assert torch.count_nonzero(z.grad[..., 4:]) == 0
    assert torch.all(z.grad[..., :4].abs().sum(dim=-1) > 0)


def test_gradcheck():
    z = random_z(seed=3, n_views=3, batch=4, dim=5).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: directclr_loss(x, d0=3, temperature=0.4), (z,))


def test_d0_wider_than_the_embedding_names_the_fix():
    loss = create_loss("directclr")  # d0 = 360
    with pytest.raises(ValueError, match=r"d0=360 exceeds the embedding width 256.*--head-dims ''"):
        loss(random_z(dim=256))
    with pytest.raises(ValueError, match="exceeds the embedding width 64"):
        loss.check_dim(64)
    loss.check_dim(512)  # resnet18 features


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "8"])
def test_bad_d0_is_refused(bad):
    with pytest.raises(ValueError, match="d0 must be a positive integer"):
        DirectCLRLoss(d0=bad)


def test_bad_temperature_and_batch():
    with pytest.raises(ValueError, match="temperature"):
        DirectCLRLoss(d0=2, temperature=0.0)
    with pytest.raises(ValueError, match="batch of >= 2"):
        directclr_loss(random_z(batch=1), d0=2)


def test_projector_free_model_gives_the_backbone_features():
    model = create_ssl_model("resnet18", head_dims=(), cifar_stem=True).eval()
    assert isinstance(model.head, torch.nn.Identity)
    x = torch.randn(2, 3, 16, 16, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        z, features = model(x, return_features=True)
    assert z.shape == (2, 512) and torch.equal(z, features)
    DirectCLRLoss().check_dim(z.shape[-1])


def test_empty_head_from_the_cli_flag_and_from_yaml(tmp_path):
    parser = build_parser()
    args = ["train", "--loss", "directclr", "--head-dims", "", "--loss-options", "d0=128"]
    cfg = train_config(parser.parse_args(args))
    assert cfg.head_dims == () and cfg.loss == "directclr"
    assert create_loss(cfg.loss, **cfg.loss_kwargs()).d0 == 128
    recipe = tmp_path / "directclr.yaml"
    recipe.write_text(yaml.safe_dump({"loss": "directclr", "head_dims": [], "loss_options": []}))
    cfg = train_config(parser.parse_args(["train", "--config", str(recipe)]))
    assert cfg.head_dims == () and cfg.loss == "directclr"


def test_the_training_loop_runs_directclr_without_a_projector(tmp_path, one_torch_thread):
    gen = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (16, 3, 8, 8), dtype=torch.uint8, generator=gen)
    cfg = TrainConfig(
        **{**TINY_TRAIN, "head_dims": ()},
        loss="directclr",
        loss_options=("d0=64", "temperature=0.2"),
        epochs=2,
        max_steps=3,
        log_every_steps=1,
        output_dir=tmp_path,
    )
    result = train(cfg, train_images=images, train_labels=torch.arange(16) % 4)
    assert result.step == 3 and math.isfinite(result.final_loss)
    with open(tmp_path / "metrics.csv") as handle:
        losses = [float(row["loss"]) for row in csv.DictReader(handle)]
    assert len(losses) == 3 and all(math.isfinite(v) and v > 0 for v in losses)
    model, _ = load_checkpoint(result.checkpoint)
    assert isinstance(model.head, torch.nn.Identity)  # saved and reloaded without a head
