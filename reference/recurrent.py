"""Reference values for nn/src/layers/recurrent/tests.rs: SimpleRNN, GRU, LSTM and a
bidirectional GRU in PyTorch, with Keras-layout weights copied in.

Run: ~/.cache/derin-peers/venv-torch/bin/python reference/recurrent.py

Weights and inputs follow integer formulas that the Rust tests repeat:
  vals(count, seed)[k] = ((37·k + 11·seed) mod 17 − 8) / 10
  x[k] = ((5·k + 2) mod 9 − 4) / 4, for N=2, T=3, F=2; U=3.
Keras layouts: kernel [F, G·U], recurrent_kernel [U, G·U]; GRU bias [2, 3U] (input,
recurrent), gates z, r, h; LSTM bias [4U], gates i, f, c, o; SimpleRNN bias [U].
"""
import torch

N, T, F, U = 2, 3, 2, 3


def vals(count, seed):
    return [((37 * k + 11 * seed) % 17 - 8) / 10 for k in range(count)]


def mat(count, seed, rows, cols):
    return torch.tensor(vals(count, seed), dtype=torch.float32).reshape(rows, cols)


x = torch.tensor([((5 * k + 2) % 9 - 4) / 4 for k in range(N * T * F)]).reshape(N, T, F)


def show(name, t):
    flat = ", ".join(f"{v:.6f}" for v in t.detach().flatten().tolist())
    print(f"{name} {list(t.shape)}: [{flat}]")


def keras_gru_into(gru, kernel, rec, bias, suffix=""):
    # Keras blocks z, r, h -> torch blocks r, z, n.
    def reorder(w):
        z, r, h = w[..., :U], w[..., U:2 * U], w[..., 2 * U:]
        return torch.cat([r, z, h], dim=-1)
    with torch.no_grad():
        getattr(gru, "weight_ih_l0" + suffix).copy_(reorder(kernel).T)
        getattr(gru, "weight_hh_l0" + suffix).copy_(reorder(rec).T)
        getattr(gru, "bias_ih_l0" + suffix).copy_(reorder(bias[0]))
        getattr(gru, "bias_hh_l0" + suffix).copy_(reorder(bias[1]))


print("torch", torch.__version__)

# SimpleRNN: kernel seed 1, recurrent seed 2, bias seed 3.
rnn = torch.nn.RNN(F, U, batch_first=True)
with torch.no_grad():
    rnn.weight_ih_l0.copy_(mat(F * U, 1, F, U).T)
    rnn.weight_hh_l0.copy_(mat(U * U, 2, U, U).T)
    rnn.bias_ih_l0.copy_(mat(U, 3, 1, U)[0])
    rnn.bias_hh_l0.zero_()
out, h = rnn(x)
show("simple_rnn sequences", out)
out_b, _ = rnn(torch.flip(x, dims=[1]))
show("simple_rnn go_backwards sequences", out_b)

# GRU: kernel seed 4, recurrent seed 5, bias seed 6 ([2, 3U]).
gru = torch.nn.GRU(F, U, batch_first=True)
gk, gr, gb = mat(F * 3 * U, 4, F, 3 * U), mat(U * 3 * U, 5, U, 3 * U), mat(6 * U, 6, 2, 3 * U)
keras_gru_into(gru, gk, gr, gb)
out, h = gru(x)
show("gru sequences", out)

# GRU gradients of sum(out · probe), probe = vals seed 13 as [N, T, U], with respect to
# the input and to the Keras-layout kernel, recurrent kernel and bias.
xg = x.clone().requires_grad_(True)
out, _ = gru(xg)
(out * mat(N * T * U, 13, N * T, U).reshape(N, T, U)).sum().backward()


def keras_order(w):
    # torch blocks r, z, n -> Keras blocks z, r, h
    r, z, n = w[..., :U], w[..., U:2 * U], w[..., 2 * U:]
    return torch.cat([z, r, n], dim=-1)


show("gru grad x", xg.grad)
show("gru grad kernel", keras_order(gru.weight_ih_l0.grad.T))
show("gru grad recurrent_kernel", keras_order(gru.weight_hh_l0.grad.T))
show("gru grad bias", torch.stack([keras_order(gru.bias_ih_l0.grad), keras_order(gru.bias_hh_l0.grad)]))

# LSTM: kernel seed 7, recurrent seed 8, bias seed 9 ([4U]).
lstm = torch.nn.LSTM(F, U, batch_first=True)
with torch.no_grad():
    lstm.weight_ih_l0.copy_(mat(F * 4 * U, 7, F, 4 * U).T)
    lstm.weight_hh_l0.copy_(mat(U * 4 * U, 8, U, 4 * U).T)
    lstm.bias_ih_l0.copy_(mat(4 * U, 9, 1, 4 * U)[0])
    lstm.bias_hh_l0.zero_()
out, (h, c) = lstm(x)
show("lstm sequences", out)
show("lstm c", c[0])

# Bidirectional GRU: forward weights as above, backward kernel seed 10, recurrent 11, bias 12.
bi = torch.nn.GRU(F, U, batch_first=True, bidirectional=True)
keras_gru_into(bi, gk, gr, gb)
keras_gru_into(bi, mat(F * 3 * U, 10, F, 3 * U), mat(U * 3 * U, 11, U, 3 * U), mat(6 * U, 12, 2, 3 * U), "_reverse")
out, h = bi(x)
show("bidirectional gru concat sequences", out)
