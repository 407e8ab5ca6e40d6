import pytest

from vaereport.errors import ParameterError, ProfileError
from vaereport.params import load_params, parse_override


def test_full_profile_has_the_studys_settings():
    p = load_params("q1_vae_mnist", "full")
    assert (p["latent_dim"], p["epochs"], p["batch_size"], p["train_subset"]) == (2, 50, 100, None)


def test_smoke_inherits_from_full_and_overrides_apply():
    p = load_params("q1_vae_mnist", "smoke", ["epochs=3", "hidden=[8, 4]"])
    assert p["epochs"] == 3 and p["hidden"] == [8, 4]
    assert p["batch_size"] == load_params("q1_vae_mnist", "full")["batch_size"]


@pytest.mark.parametrize("override,match", [
    ("epochs=0", "'epochs' = 0 is out of range"),
    ("epochs=-2", "out of range"),
    ("epochs=2.5", "must be an integer"),
    ("epochs=abc", "must be an integer"),
    ("learning_rate=.nan", "finite number"),
    ("learning_rate=fast", "finite number"),
    ("learning_rate=0", "out of range"),
    ("latent_dim=0", "out of range"),
    ("hidden=[]", "out of range"),
    ("nonsense=1", "unknown parameter"),
    ("epochs", "key=value"),
])
def test_bad_overrides_are_rejected(override, match):
    with pytest.raises(ParameterError, match=match):
        load_params("q1_vae_mnist", "smoke", [override])


def test_unknown_profile_lists_available():
    with pytest.raises(ProfileError, match="available: full, smoke"):
        load_params("q1_vae_mnist", "huge")


def test_parse_override_keeps_yaml_types():
    assert parse_override("budgets=[100, 200]") == ("budgets", [100, 200])
    assert parse_override("raw_pixel_mlp=false") == ("raw_pixel_mlp", False)
