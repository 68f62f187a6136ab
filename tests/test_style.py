"""Gram matrices, the three losses, and weight conversion between the tutorials' conventions."""

import itertools

import pytest
import torch
import torch.nn.functional as F

from nstlib.errors import NstlibError
from nstlib.style import (
    CONVENTIONS,
    GRAM_NORMALISATIONS,
    LossTerms,
    balanced_layer_weights,
    content_loss,
    convert_weight,
    gram_matrix,
    loss_coefficient,
    loss_history,
    style_loss,
    total_variation_loss,
)


def features(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed)).relu()


def test_gram_equals_the_articles_double_sum():
    t = features(2, 3, 4, 5)
    b, c, h, w = t.shape
    expected = torch.zeros(b, c, c)
    for k, n, m, i, j in itertools.product(range(b), range(c), range(c), range(h), range(w)):
        expected[k, n, m] += t[k, n, i, j] * t[k, m, i, j]
    assert torch.allclose(gram_matrix(t, "none"), expected, atol=1e-5)
    assert torch.allclose(gram_matrix(t, "hw"), expected / (h * w), atol=1e-6)
    assert torch.allclose(gram_matrix(t, "chw"), expected / (c * h * w), atol=1e-6)
    assert torch.allclose(gram_matrix(t, "bchw"), expected / (b * c * h * w), atol=1e-6)


def test_gram_is_symmetric_and_positive_semidefinite():
    g = gram_matrix(torch.randn(1, 16, 7, 9))[0]
    assert torch.allclose(g, g.T)
    assert torch.linalg.eigvalsh(g.double()).min() > -1e-6


def test_gram_forgets_where_things_are():
    t = features(1, 8, 6, 6)
    shuffled = t.flatten(2)[:, :, torch.randperm(36)].reshape(t.shape)
    assert not torch.equal(t, shuffled)
    assert torch.allclose(gram_matrix(shuffled), gram_matrix(t), atol=1e-6)


def test_gram_is_quadratic_in_the_features():
    t = features(1, 8, 6, 6)
    assert torch.allclose(gram_matrix(3 * t), 9 * gram_matrix(t), atol=1e-5)


def test_gram_size_does_not_depend_on_the_image_size():
    assert gram_matrix(features(1, 8, 6, 6)).shape == gram_matrix(features(1, 8, 17, 3)).shape


def test_gram_rejects_bad_input():
    with pytest.raises(NstlibError, match=r"\[B, C, H, W\]"):
        gram_matrix(torch.rand(8, 6, 6))
    with pytest.raises(NstlibError, match="normalise"):
        gram_matrix(torch.rand(1, 8, 6, 6), normalise="paper")


def test_every_gram_normalisation_divides_the_raw_sum():
    f = features(2, 3, 4, 5)
    raw = gram_matrix(f, normalise="none")
    divisors = {"none": 1, "hw": 20, "chw": 60, "bchw": 120}
    assert tuple(divisors) == GRAM_NORMALISATIONS
    for normalise, divisor in divisors.items():
        torch.testing.assert_close(gram_matrix(f, normalise=normalise), raw / divisor)


def test_loss_terms_sum_and_record_into_a_history():
    terms = LossTerms(content=torch.tensor(1.5), style=torch.tensor(2.0), tv=torch.tensor(0.25))
    assert terms.total.item() == 3.75
    assert terms.as_floats() == {"total": 3.75, "content": 1.5, "style": 2.0, "tv": 0.25}
    history = loss_history()
    terms.record(history)
    terms.record(history)
    assert history == {
        "total": [3.75] * 2,
        "content": [1.5] * 2,
        "style": [2.0] * 2,
        "tv": [0.25] * 2,
    }
    assert loss_history() == {"total": [], "content": [], "style": [], "tv": []}  # a fresh one


def test_content_loss_is_zero_at_the_content_image_and_mse_elsewhere():
    target = {"relu4_2": features(1, 8, 4, 4)}
    assert content_loss(target, target) == 0
    other = {"relu4_2": features(1, 8, 4, 4, seed=1)}
    assert torch.isclose(
        content_loss(other, target), F.mse_loss(other["relu4_2"], target["relu4_2"])
    )


def test_style_loss_matches_grams_with_layer_weights():
    mine = {"a": features(1, 4, 5, 5), "b": features(1, 8, 3, 3)}
    style = {"a": features(1, 4, 9, 2, seed=1), "b": features(1, 8, 6, 6, seed=2)}
    grams = {name: gram_matrix(f) for name, f in style.items()}
    assert style_loss(style, grams) == 0  # the style image matches itself, whatever its size
    per_layer = {n: F.mse_loss(gram_matrix(mine[n]), grams[n]) for n in mine}
    assert torch.isclose(style_loss(mine, grams), per_layer["a"] + per_layer["b"])
    weighted = style_loss(mine, grams, {"a": 2.0, "b": 0.5})
    assert torch.isclose(weighted, 2 * per_layer["a"] + 0.5 * per_layer["b"])
    with pytest.raises(NstlibError, match="layer_weights"):
        style_loss(mine, grams, {"a": 1.0})
    with pytest.raises(NstlibError, match="extract those layers"):
        style_loss({"a": mine["a"]}, grams)


def test_total_variation():
    assert total_variation_loss(torch.full((1, 3, 8, 8), 0.7)) == 0
    stripes = torch.zeros(1, 1, 4, 4)
    stripes[..., 1::2] = 1  # vertical stripes: every horizontal neighbour differs by 1
    assert torch.isclose(total_variation_loss(stripes), torch.tensor(0.5))


# --- the four conventions, written the way each source writes them (B = 1) -----------------


def style_term(convention, x, style, num_layers):
    """One layer's style term, literally as each source computes it."""
    b, c, h, w = x.shape
    if convention == "paper":  # raw Gram, 1/(4 N² M²) in the layer loss, layer weight 1/L
        g, a = gram_matrix(x, "none"), gram_matrix(style, "none")
        return ((g - a) ** 2).sum() / (4 * c**2 * (h * w) ** 2) / num_layers
    if convention == "d2l":
        return ((gram_matrix(x, "chw") - gram_matrix(style, "chw")) ** 2).mean()
    if convention == "pytorch":
        return F.mse_loss(gram_matrix(x, "bchw"), gram_matrix(style, "bchw"))
    if convention == "tf":
        return ((gram_matrix(x, "hw") - gram_matrix(style, "hw")) ** 2).mean() / num_layers
    target = {"l": gram_matrix(style)}
    if convention == "balanced":  # what stylize() does: relative Gram error
        return style_loss({"l": x}, target, balanced_layer_weights(target))
    return style_loss({"l": x}, target)


def content_term(convention, x, target, num_layers):
    if convention == "paper":
        return 0.5 * ((x - target) ** 2).sum()
    if convention == "tf":
        return ((x - target) ** 2).mean() / num_layers
    return content_loss({"l": x}, {"l": target})


@pytest.mark.parametrize(("term", "literal"), [("style", style_term), ("content", content_term)])
@pytest.mark.parametrize(("source", "target"), list(itertools.permutations(CONVENTIONS, 2)))
def test_converted_weights_give_identical_gradients(term, literal, source, target):
    x = features(1, 6, 5, 7, seed=3).double().requires_grad_(True)
    other = features(1, 6, 5, 7, seed=4).double()
    energy = gram_matrix(other, "none").pow(2).sum().item()
    shape = dict(channels=6, height=5, width=7, num_layers=5, style_gram_energy=energy)
    weight = 1e4
    (weight * literal(source, x, other, 5)).backward()
    expected = x.grad.clone()
    x.grad = None
    converted = convert_weight(weight, source=source, target=target, term=term, **shape)
    (converted * literal(target, x, other, 5)).backward()
    assert torch.allclose(x.grad, expected, rtol=1e-9, atol=0)


def test_conversions_are_not_trivial():
    relu1_1 = dict(channels=64, height=256, width=256, num_layers=5)
    relu5_1 = dict(channels=512, height=16, width=16, num_layers=5)
    assert convert_weight(1e4, source="d2l", target="pytorch", **relu1_1) == 1e4
    assert convert_weight(1.0, source="tf", target="paper", **relu1_1) == pytest.approx(4.0)
    # A paper weight means something different on each layer (the C² does not cancel).
    to_paper = [convert_weight(1.0, source="d2l", target="paper", **s) for s in (relu1_1, relu5_1)]
    assert to_paper[0] / to_paper[1] == pytest.approx((512 / 64) ** 2)
    with pytest.raises(NstlibError, match="convention"):
        loss_coefficient("keras", "style", channels=1, height=1, width=1)
    with pytest.raises(NstlibError, match="term"):
        loss_coefficient("paper", "colour", channels=1, height=1, width=1)


def test_balanced_weights_make_every_layer_its_relative_gram_error():
    style = {"a": features(1, 4, 8, 8, seed=1) * 100, "b": features(1, 32, 2, 2, seed=2) * 0.01}
    targets = {name: gram_matrix(t) for name, t in style.items()}
    weights = balanced_layer_weights(targets)
    zeros = {name: torch.zeros_like(t) for name, t in style.items()}
    # G = 0: each layer's relative error is exactly 1, whatever its scale (10^8 apart here).
    torch.testing.assert_close(style_loss(zeros, targets, weights), torch.tensor(2.0))
    assert style_loss(style, targets, weights).item() == pytest.approx(0.0, abs=1e-6)
    # Relative importances multiply the balancing; the unbalanced loss is dominated by layer "a".
    halves = balanced_layer_weights(targets, {"a": 0.5, "b": 2.0})
    assert style_loss(zeros, targets, halves).item() == pytest.approx(2.5)
    assert (
        style_loss(zeros, {"a": targets["a"]}).item()
        > 1e6 * style_loss(zeros, {"b": targets["b"]}).item()
    )
    with pytest.raises(NstlibError, match="layer_weights"):
        balanced_layer_weights(targets, {"a": 1.0})
    with pytest.raises(NstlibError, match="all zeros"):
        balanced_layer_weights({"dead": torch.zeros(1, 3, 3)})


def test_balanced_conversion_needs_the_style_energy():
    with pytest.raises(NstlibError, match="style_gram_energy"):
        convert_weight(1.0, source="balanced", target="paper", channels=4, height=2, width=2)
