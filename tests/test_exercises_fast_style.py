"""The lesson 06 checkers name each typical mistake and accept equivalent right answers.

That every checker passes the reference and fails the stub is tested in test_exercises.py.
"""

import torch

from nstlib.adain import adain
from nstlib.cin import conditional_instance_norm
from nstlib.exercises.fast_style import check_adain, check_conditional_instance_norm


def _stats(x, unbiased=False, dims=(2, 3)):
    return x.mean(dim=dims, keepdim=True), x.var(dim=dims, keepdim=True, unbiased=unbiased)


def cin_unbiased(x, w, gamma, beta):
    mean, var = _stats(x, unbiased=True)
    c = x.shape[1]
    return (x - mean) / torch.sqrt(var + 1e-5) * (w @ gamma).reshape(-1, c, 1, 1) + (
        w @ beta
    ).reshape(-1, c, 1, 1)


def cin_no_eps(x, w, gamma, beta):
    mean, var = _stats(x)
    c = x.shape[1]
    return (x - mean) / torch.sqrt(var) * (w @ gamma).reshape(-1, c, 1, 1) + (w @ beta).reshape(
        -1, c, 1, 1
    )


def cin_first_style_only(x, w, gamma, beta):
    mean, var = _stats(x)
    return (x - mean) / torch.sqrt(var + 1e-5) * gamma[0].reshape(1, -1, 1, 1) + beta[0].reshape(
        1, -1, 1, 1
    )


def cin_plain_mean(x, w, gamma, beta):
    mean, var = _stats(x)
    c = x.shape[1]
    return (x - mean) / torch.sqrt(var + 1e-5) * gamma.mean(0).reshape(1, c, 1, 1) + beta.mean(
        0
    ).reshape(1, c, 1, 1)


def cin_swapped(x, w, gamma, beta):
    return conditional_instance_norm(x, w, beta, gamma)


def cin_layer_norm(x, w, gamma, beta):
    mean, var = _stats(x, dims=(1, 2, 3))
    c = x.shape[1]
    return (x - mean) / torch.sqrt(var + 1e-5) * (w @ gamma).reshape(-1, c, 1, 1) + (
        w @ beta
    ).reshape(-1, c, 1, 1)


def test_cin_checker_names_typical_mistakes():
    expected_hints = {
        cin_unbiased: "biased variance",
        cin_no_eps: "add eps",
        cin_swapped: "γ scales and β shifts",
        cin_layer_norm: "layer norm",
        cin_first_style_only: "γ(w) = style_weights @ gamma",
        cin_plain_mean: "not the plain mean of gamma",
    }
    for wrong, hint in expected_hints.items():
        result = check_conditional_instance_norm(wrong)
        assert not result.passed, wrong.__name__
        assert hint in str(result), (wrong.__name__, str(result))


def adain_swapped(content, style):
    return adain(style, content)


def adain_variance(content, style):
    c_mean, c_var = _stats(content)
    s_mean, s_var = _stats(style)
    return (content - c_mean) / torch.sqrt(c_var + 1e-5) * (s_var + 1e-5) + s_mean


def adain_whole_tensor(content, style):
    c_mean, c_var = _stats(content, dims=(1, 2, 3))
    s_mean, s_var = _stats(style, dims=(1, 2, 3))
    return (content - c_mean) / torch.sqrt(c_var + 1e-5) * torch.sqrt(s_var + 1e-5) + s_mean


def adain_no_eps(content, style):
    c_mean, c_var = _stats(content)
    s_mean, s_var = _stats(style)
    return (content - c_mean) / torch.sqrt(c_var) * torch.sqrt(s_var) + s_mean


def test_adain_checker_names_typical_mistakes():
    expected_hints = {
        adain_swapped: "style's shape",
        adain_variance: "not its variance",
        adain_whole_tensor: "per channel",
        adain_no_eps: "add eps",
        lambda c, s: "not a tensor": "should be a torch.Tensor",
    }
    for wrong, hint in expected_hints.items():
        result = check_adain(wrong)
        assert not result.passed
        assert hint in str(result), str(result)
