"""From a PyTorch model to exact answers: train a small classifier on two interleaved half-moons, read it exactly,
count its regions, certify that its ONNX export is the same function, and find where a pruned copy differs
(run: python examples/from_torch.py [OUTPUT_DIR]; about 10 s on a laptop CPU).
"""
import io
import math
import sys
import warnings
from pathlib import Path

import onnx
import torch
from torch import nn

import polyreg
from polyreg.certificates.claims import Equivalent
from polyreg.certificates.write import certificate, write_certificate
from polyreg_check import check

out = Path(sys.argv[1] if len(sys.argv) > 1 else "build/from_torch")
torch.manual_seed(0)

# 1. data and training: two half-moons in [-1, 1]^2, a 2 -> 12 -> 12 -> 2 ReLU classifier
t = torch.rand(400) * math.pi
upper = torch.stack([torch.cos(t) - 0.5, torch.sin(t) - 0.25], 1)
lower = torch.stack([0.5 - torch.cos(t), 0.25 - torch.sin(t)], 1)
x = torch.cat([upper, lower]) * 0.6 + 0.05 * torch.randn(800, 2)
y = torch.cat([torch.zeros(400), torch.ones(400)]).long()
model = nn.Sequential(nn.Linear(2, 12), nn.ReLU(), nn.Linear(12, 12), nn.ReLU(), nn.Linear(12, 2))
optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
for _ in range(300):
    optimizer.zero_grad()
    nn.functional.cross_entropy(model(x), y).backward()
    optimizer.step()
model.eval()
print(f"trained: accuracy {(model(x).argmax(1) == y).float().mean().item():.3f} on the training points")

# 2. the exact network (each float32 weight is its exact binary value) and its regions on [-1, 1]^2
net = polyreg.from_torch(model, (2,))
domain = polyreg.box(2, -1, 1)
cpwl = polyreg.lower(net, domain)
counts = polyreg.region_counts(cpwl)
print(f"{net}: {counts.linear_regions} linear regions, {counts.activation_regions} activation regions on [-1, 1]^2")

# 3. the ONNX export is the same function: certified, and the certificate re-verified by the standalone checker
buffer = io.BytesIO()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")        # torch's notes about its exporters
    torch.onnx.export(model, (torch.zeros(1, 2),), buffer, dynamo=False)
exported = polyreg.from_onnx(onnx.load_from_string(buffer.getvalue()))
verdict = polyreg.certify(net, exported, domain)
cert = certificate(verdict.refinement, Equivalent.of(verdict.refinement))
out.mkdir(parents=True, exist_ok=True)
write_certificate(cert, out / "export.json.gz")
print(f"torch vs its ONNX export: {verdict.word} ({verdict.cells} cells); standalone checker: {check(cert)}")

# 4. a pruned copy (the smallest half of the hidden weights set to zero) is a different function: where, and how far
pruned = nn.Sequential(*[nn.Linear(m.in_features, m.out_features) if isinstance(m, nn.Linear) else m
                         for m in model])
pruned.load_state_dict(model.state_dict())
with torch.no_grad():
    for layer in (pruned[2],):
        layer.weight[layer.weight.abs() < layer.weight.abs().median()] = 0
verdict = polyreg.certify(net, polyreg.from_torch(pruned.eval(), (2,)), domain)
witness = verdict.counterexample
print(f"torch vs pruned: {verdict.word}; at x = ({', '.join(str(v) for v in witness.x)}) the outputs differ by "
      f"{float(witness.difference):.4f} (sup-norm distance on the domain {float(verdict.distance):.4f})")
