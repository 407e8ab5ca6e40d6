import pytest

from vaereport.errors import ParameterError, ProfileError
from vaereport.config.params import load_params, parse_override


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


@pytest.mark.parametrize("analysis,override,match", [
    ("q1_vae_mnist", "epoch=3", r"unknown parameter\(s\) epoch .*did you mean 'epochs'\?"),
    ("q1_vae_mnist", "hidden=64", r"must be a list of integers, got 64; e.g. -p hidden=\[64,32\]"),
    ("q1_vae_mnist", "decoders=bernouli", r"'bernouli' is not a value of 'decoders' \(did you mean 'bernoulli'\?\)"),
    ("q1_vae_mnist", "decoders=bernoulli", r"must be a list of strings.*e.g. -p decoders=\[bernoulli,gaussian\]"),
    ("q1_vae_mnist", "architecture=cnn", r"'cnn' is not a value of 'architecture'; choose from mlp, conv"),
    ("q2_semisupervised", "classifiers=[logreg, svm]", r"did you mean 'svm_rbf'"),
    ("q2_representations", "held_out_curve=false", r"is for runs scored on held-out training images.*set validation_size"),
    ("q1_vae_mnist", "iwae_samples=0", r"no IWAE bound.*set validation_size > 0 or iwae_samples >= 1"),
])
def test_mistakes_name_the_fix(analysis, override, match):
    with pytest.raises(ParameterError, match=match) as info:
        load_params(analysis, "smoke", [override])
    assert "\n" not in str(info.value)


def test_a_yaml_error_in_an_override_is_one_line_with_the_list_syntax():
    with pytest.raises(ParameterError, match=r"not valid YAML \(line 1, column \d+: .*\); lists look like") as info:
        parse_override("hidden=[64,32")
    assert "\n" not in str(info.value)


def test_a_yaml_error_in_a_parameter_file_says_where(tmp_path, monkeypatch):
    from vaereport.config import analyses, params

    broken = tmp_path / "q1_vae_mnist.yaml"
    broken.write_text("full:\n  epochs: [3\n  seed: 1\n")
    monkeypatch.setattr(analyses.Analysis, "params_file", property(lambda self: broken))
    with pytest.raises(ParameterError, match=r"not valid YAML at line \d+, column \d+: ") as info:
        params.read_profiles("q1_vae_mnist")
    assert "\n" not in str(info.value)


def test_misspelt_profile_and_analysis_get_a_suggestion():
    from vaereport.config import analyses

    with pytest.raises(ProfileError, match="did you mean 'smoke'"):
        load_params("q1_vae_mnist", "smoek")
    with pytest.raises(ParameterError, match="did you mean 'q2_semisupervised'"):
        analyses.get("q2-semisupervise")
