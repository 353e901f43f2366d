"""PyTorch modules read exactly: every supported layer against torch itself (the float oracle, run in float64 on
the same binary weights), skip connections, modules exported with torch.onnx.export, and what is refused."""
import io
import random
import warnings
from fractions import Fraction

import pytest
import torch
from torch import nn

from polyreg import box, certify, evaluate, lower, region_counts
from polyreg.errors import InexactWarning, InputError
from polyreg.formats.onnx_files import network_from_onnx
from polyreg.formats.torch_models import from_torch
from polyreg.network.families import random_relu
from polyreg.network.ir import Dense

import onnx


def dyadic_points(d, n, seed):
    """Points whose coordinates float32 holds exactly (k/64 in [-2, 2])."""
    rng = random.Random(seed)
    return [[Fraction(rng.randint(-128, 128), 64) for _ in range(d)] for _ in range(n)]


def torch_output(module, x, shape, dtype=torch.float64):
    with torch.no_grad():
        return module.to(dtype)(torch.tensor([float(v) for v in x], dtype=dtype).reshape((1,) + shape)).reshape(-1)


def agrees_with_torch(module, shape, points=20):
    """The exact network of ``module`` equals torch's float64 forward pass (on the same binary weights) to within
    float64 rounding, at random points."""
    module.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InexactWarning)
        net = from_torch(module, shape)
    reference = module.to(torch.float64)
    for x in dyadic_points(net.input_dim, points, seed=net.input_dim):
        exact, floats = evaluate(net, x), torch_output(reference, x, shape).tolist()
        assert len(exact) == len(floats)
        for e, f in zip(exact, floats):
            assert abs(float(e) - f) <= 1e-9 * (1 + abs(f)), (x, e, f)
    return net


def with_statistics(module):
    """Batch normalizations with random running statistics and affine parameters (else they are the identity)."""
    gen = torch.Generator().manual_seed(5)
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.copy_(torch.randn(m.num_features, generator=gen))
                m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
                m.weight.copy_(torch.randn(m.num_features, generator=gen))
                m.bias.copy_(torch.randn(m.num_features, generator=gen))
    return module


class Residual(nn.Module):
    """relu(x + fc2(relu(fc1(x)))), flattened with x.view(x.size(0), -1)."""

    def __init__(self, d=3, hidden=5):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(d, hidden), nn.Linear(hidden, d)

    def forward(self, x):
        h = torch.relu(self.fc1(x))
        return nn.functional.relu(x + self.fc2(h)).view(x.size(0), -1)


class Functional(nn.Module):
    """Functions and tensor methods instead of layers: leaky_relu, flatten, a constant shift, subtraction."""

    def __init__(self):
        super().__init__()
        self.conv, self.fc = nn.Conv1d(2, 3, 2), nn.Linear(9, 2)

    def forward(self, x):
        h = nn.functional.leaky_relu(self.conv(x), 0.25)
        return 2.0 - self.fc(torch.flatten(h, 1) - 0.5)


torch.manual_seed(0)
MODULES = {
    "Linear ReLU LeakyReLU PReLU Hardtanh ReLU6 Dropout Identity": (nn.Sequential(
        nn.Linear(3, 6), nn.ReLU(), nn.Linear(6, 5), nn.LeakyReLU(0.2), nn.Linear(5, 5), nn.PReLU(),
        nn.Hardtanh(-0.5, 0.75), nn.Dropout(0.3), nn.Identity(), nn.Linear(5, 4), nn.ReLU6(), nn.Linear(4, 2)), (3,)),
    "Conv2d BatchNorm2d MaxPool2d AvgPool2d Flatten": (nn.Sequential(
        nn.Conv2d(2, 4, 3, stride=2, padding=1, groups=2), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),
        nn.AvgPool2d(2, padding=1, count_include_pad=False), nn.Flatten(), nn.Linear(16, 3)), (2, 7, 6)),
    "Conv2d dilation, padding same, AvgPool2d counting padding": (nn.Sequential(
        nn.Conv2d(1, 2, (3, 2), dilation=(1, 2), padding="same"), nn.LeakyReLU(), nn.AvgPool2d(3, stride=2, padding=1),
        nn.MaxPool2d((2, 1), stride=1, padding=(1, 0), dilation=(2, 1)), nn.Flatten(), nn.Linear(18, 2)), (1, 5, 5)),
    "Conv1d BatchNorm1d PReLU per channel MaxPool1d AvgPool1d": (nn.Sequential(
        nn.Conv1d(2, 3, 3, padding=1), nn.BatchNorm1d(3), nn.PReLU(3), nn.MaxPool1d(3, stride=2, padding=1),
        nn.AvgPool1d(2), nn.Flatten(), nn.Linear(6, 2)), (2, 9)),
    "BatchNorm1d on features": (nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 1)), (3,)),
    "a residual block": (Residual(), (3,)),
    "functions and tensor methods": (Functional(), (2, 4)),
}


@pytest.mark.parametrize("name", MODULES)
def test_each_layer_agrees_with_torch_at_random_points(name):
    module, shape = MODULES[name]
    agrees_with_torch(with_statistics(module), shape)


def test_a_float32_weight_is_its_exact_binary_value():
    layer = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        layer.weight.fill_(0.1)
    net = from_torch(layer, (1,))
    assert net.layers[0].weight == ((Fraction(13421773, 134217728),),)       # float32(0.1), not 1/10


class Skip(nn.Module):
    def __init__(self, branch):
        super().__init__()
        self.branch = branch

    def forward(self, x):
        return x + self.branch(x)


def test_a_skip_connection_adds_no_cells():
    """x + B relu(A x + a) has one hidden layer: its cells are those of the arrangement of A x + a = 0, as for the
    branch alone; the skip rides through the ReLU layer without splitting them."""
    branch = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 3)).eval()
    skip = agrees_with_torch(Skip(branch), (3,))
    domain = box(3, -2, 2)
    assert len(lower(skip, domain).cells) == len(lower(from_torch(branch, (3,)), domain).cells)


def as_torch(net):
    """A project network as an nn.Sequential of Linear and ReLU (its weights are dyadic: exact in float32)."""
    layers = []
    for layer in net.layers:
        if isinstance(layer, Dense):
            linear = nn.Linear(len(layer.weight[0]), len(layer.weight))
            with torch.no_grad():
                linear.weight.copy_(torch.tensor([[float(w) for w in row] for row in layer.weight]))
                linear.bias.copy_(torch.tensor([float(b) for b in layer.bias]))
            layers.append(linear)
        else:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers).eval()


@pytest.mark.parametrize("net", [random_relu(2, [6, 5], seed=4), random_relu(3, [5], seed=1, outputs=2)],
                         ids=["relu 2-6-5", "relu 3-5-2"])
def test_a_project_network_built_in_torch_comes_back_with_the_same_counts(net):
    back = agrees_with_torch(as_torch(net), (net.input_dim,))
    assert back == net
    domain = box(net.input_dim, -1, 1)
    assert region_counts(lower(back, domain)) == region_counts(lower(net, domain))


def exported(module, shape, dynamo=False):
    """``module`` through torch.onnx.export: the TorchScript exporter, or the dynamo one (which needs onnxscript)."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        args = (module.float().eval(), (torch.zeros((1,) + shape),))
        if dynamo:
            return torch.onnx.export(*args, dynamo=True, verbose=False).model_proto
        torch.onnx.export(*args, buffer, dynamo=False)
    return onnx.load_from_string(buffer.getvalue())


@pytest.mark.parametrize("dynamo", [False, True], ids=["torchscript exporter", "dynamo exporter"])
@pytest.mark.parametrize("name", ["Conv2d BatchNorm2d MaxPool2d AvgPool2d Flatten", "a residual block",
                                  "Linear ReLU LeakyReLU PReLU Hardtanh ReLU6 Dropout Identity",
                                  "Conv1d BatchNorm1d PReLU per channel MaxPool1d AvgPool1d"])
def test_a_module_exported_by_torch_onnx_export_agrees_with_torch(name, dynamo):
    module, shape = MODULES[name]
    model = exported(with_statistics(module), shape, dynamo)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InexactWarning)
        net = network_from_onnx(model)
    for x in dyadic_points(net.input_dim, 10, seed=3):    # the exporters fold batch norms in float32
        for e, f in zip(evaluate(net, x), torch_output(module, x, shape, torch.float32).tolist()):
            assert abs(float(e) - f) <= 1e-4 * (1 + abs(f))


def test_the_same_module_read_directly_and_through_onnx_is_the_same_function():
    module, shape = MODULES["a residual block"]
    direct, through = from_torch(module.eval(), shape), network_from_onnx(exported(module, shape))
    assert certify(direct, through, box(3, -1, 1)).word == "EQUIVALENT"


class Branching(nn.Module):
    def forward(self, x):
        return x if x.sum() > 0 else -x


@pytest.mark.parametrize("module, shape, message", [
    (nn.Sequential(nn.Linear(2, 2), nn.Sigmoid()), (2,), r"Sequential: _1 \(Sigmoid\): not supported; supported "
                                                         r"layers: AvgPool1d"),
    (nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)).train(), (2,), "is in training mode"),
    (Branching(), (2,), "torch.fx cannot trace its forward"),
    (nn.Conv1d(1, 1, 2, padding=1, padding_mode="reflect"), (1, 4), "padding_mode 'reflect'"),
    (nn.Sequential(nn.Linear(2, 2)), (0,), "expected the positive sizes"),
    (nn.Sequential(nn.Conv1d(1, 1, 2)), (4,), r"expected an input \[N, C\] \+ 1 spatial axes"),
])
def test_what_polyreg_cannot_read_is_refused_saying_why(module, shape, message):
    with pytest.raises(InputError, match=message):
        from_torch(module.eval() if not isinstance(module, nn.Sequential) or not module.training or
                   not any(isinstance(m, nn.BatchNorm1d) for m in module) else module, shape)


def test_batch_normalization_warns_and_strict_refuses():
    module = with_statistics(nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))).eval()
    with pytest.warns(InexactWarning, match=r"_1 \(BatchNorm1d\): 1/sqrt\(var \+ eps\) is irrational for 2 of 2"):
        from_torch(module, (2,))
    with pytest.raises(InputError, match="strict mode computes no square roots"):
        from_torch(module, (2,), strict=True)


class InPlace(nn.Module):
    """relu(h) + h with an in-place ReLU: torch adds relu(h) to itself, since h was overwritten."""

    def __init__(self, functional_call=False):
        super().__init__()
        self.fc, self.relu, self.functional_call = nn.Linear(3, 3), nn.ReLU(inplace=True), functional_call

    def forward(self, x):
        h = self.fc(x)
        r = nn.functional.relu(h, inplace=True) if self.functional_call else self.relu(h)
        return r + h


class Keywords(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return torch.flatten(input=torch.add(torch.relu(input=self.fc(x)), other=x), start_dim=1)


@pytest.mark.parametrize("module", [InPlace(), InPlace(functional_call=True), Keywords()],
                         ids=["nn.ReLU(inplace=True)", "F.relu(inplace=True)", "keyword arguments"])
def test_in_place_layers_and_keyword_arguments_agree_with_torch(module):
    agrees_with_torch(module, (module.fc.in_features,))
