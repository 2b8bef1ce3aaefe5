"""Reference outputs for derin-nn's convolution and pooling layers (nn/tests/conv_layers.rs).

Run from the repository root with a Python that has PyTorch (no NumPy needed):

    python reference/conv_layers.py

It prints the PyTorch version and one Rust constant per case; the tests hard-code them
(change both together). Every tensor is float32 on the CPU and is filled by a formula
the Rust tests repeat (`ramp`), so no data files are needed:

    ramp(shape, a, b, m, c, d)[i] = ((i * a + b) % m - c) / d   (i: flat row-major index)

Keras' `same` padding (TensorFlow's rule: out = ceil(in / stride), the total padding
split evenly with the odd one at the bottom/right) is applied here with an explicit
`F.pad` before PyTorch's valid convolution or pooling, so asymmetric cases are covered.
Keras' `same` average pooling divides by the number of input values in the window
(`count_include_pad=False`): the sum and the count are pooled separately.
Conv2DTranspose `same` (out = in * stride) is PyTorch's full transposed output cropped
by the padding TensorFlow's forward convolution of that output size would use; Keras'
`valid` with kernel < stride adds `output_padding = stride - kernel`.
"""

import torch
import torch.nn.functional as F


def ramp(shape, a, b, m, c, d):
    n = 1
    for s in shape:
        n *= s
    return torch.tensor([((i * a + b) % m - c) / d for i in range(n)], dtype=torch.float32).reshape(shape)


def same_pads(size, k, s, dil=1):
    out = -(-size // s)
    total = max((out - 1) * s + dil * (k - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def pad2(x, k, s, dil=(1, 1)):
    t, b = same_pads(x.shape[2], k[0], s[0], dil[0])
    l, r = same_pads(x.shape[3], k[1], s[1], dil[1])
    return F.pad(x, (l, r, t, b))


def pad1(x, k, s, dil=1):
    l, r = same_pads(x.shape[2], k, s, dil)
    return F.pad(x, (l, r))


def show(name, t):
    vals = ", ".join(f"{v:.6}" for v in t.flatten().tolist())
    print(f"// shape {list(t.shape)}")
    print(f"const {name}: [f32; {t.numel()}] = [{vals}];")


def main():
    print(f"// PyTorch {torch.__version__}")
    # Inputs and weights (the Rust tests build the same with `ramp`).
    x2 = ramp((1, 2, 5, 5), 7, 3, 11, 5, 4)  # [N, C, H, W]
    x1 = ramp((1, 2, 7), 7, 3, 11, 5, 4)  # [N, C, L]
    w2 = ramp((3, 2, 3, 3), 5, 1, 7, 3, 5)  # [filters, in, kh, kw]
    w2d = ramp((3, 2, 2, 2), 5, 1, 7, 3, 5)
    w2g = ramp((4, 1, 3, 3), 5, 1, 7, 3, 5)  # groups 2
    w1 = ramp((3, 2, 3), 5, 1, 7, 3, 5)
    w1g = ramp((4, 1, 3), 5, 1, 7, 3, 5)
    b3 = torch.tensor([0.1, -0.2, 0.3])
    b4 = torch.tensor([0.1, -0.2, 0.3, -0.4])

    # Conv2D(3, 3, strides=2, padding="same"): 5×5 → 3×3.
    show("CONV2D_STRIDE2_SAME", F.conv2d(pad2(x2, (3, 3), (2, 2)), w2, b3, stride=2))
    # Conv2D(3, 2, dilation_rate=2, padding="same"): pads [0, 1] on each axis (asymmetric).
    show("CONV2D_DILATED_SAME", F.conv2d(pad2(x2, (2, 2), (1, 1), (2, 2)), w2d, b3, dilation=2))
    # Conv2D(4, 3, groups=2), valid: 5×5 → 3×3.
    show("CONV2D_GROUPS2", F.conv2d(x2, w2g, b4, groups=2))

    # Conv1D(3, 3, strides=2, padding="same"): 7 → 4.
    show("CONV1D_STRIDE2_SAME", F.conv1d(pad1(x1, 3, 2), w1, b3, stride=2))
    # Conv1D(3, 3, dilation_rate=2), valid: 7 → 3.
    show("CONV1D_DILATED", F.conv1d(x1, w1, b3, dilation=2))
    # Conv1D(4, 3, groups=2, padding="causal"): 2 zeros on the left, 7 → 7.
    show("CONV1D_GROUPS2_CAUSAL", F.conv1d(F.pad(x1, (2, 0)), w1g, b4, groups=2))

    # Conv2DTranspose(3, 3, strides=2): input [1, 2, 3, 3]; PyTorch weight [in, out, kh, kw].
    xt = ramp((1, 2, 3, 3), 7, 3, 11, 5, 4)
    wt = ramp((2, 3, 3, 3), 5, 1, 7, 3, 5)
    full = F.conv_transpose2d(xt, wt, b3, stride=2)  # 7×7
    show("CONV2DT_VALID", full)
    t, b = same_pads(6, 3, 2)
    show("CONV2DT_SAME", full[:, :, t:t + 6, t:t + 6])  # 6×6, Keras padding="same"
    # Conv2DTranspose(3, 2, strides=3), valid: kernel < stride, so 3·3 = 9 (output_padding 1).
    wt2 = ramp((2, 3, 2, 2), 5, 1, 7, 3, 5)
    show("CONV2DT_K2_S3", F.conv_transpose2d(xt, wt2, b3, stride=3, output_padding=1))

    # MaxPooling2D(2), valid: 5×5 → 2×2.
    show("MAXPOOL2D_2", F.max_pool2d(x2, 2))
    # MaxPooling2D(3, strides=2, padding="same"): pads [1, 1].
    show("MAXPOOL2D_3_S2_SAME", F.max_pool2d(pad2(x2, (3, 3), (2, 2)).masked_fill(pad2(torch.ones_like(x2), (3, 3), (2, 2)) == 0, -1e30), 3, 2))
    # AveragePooling2D(2, padding="same"): pads [0, 1]; divides by the values covered.
    s = F.avg_pool2d(pad2(x2, (2, 2), (2, 2)), 2, divisor_override=1)
    n = F.avg_pool2d(pad2(torch.ones_like(x2), (2, 2), (2, 2)), 2, divisor_override=1)
    show("AVGPOOL2D_2_SAME", s / n)
    # AveragePooling2D(3, strides=2, padding="same"): symmetric [1, 1], PyTorch's own option.
    show("AVGPOOL2D_3_S2_SAME", F.avg_pool2d(x2, 3, 2, padding=1, count_include_pad=False))
    # MaxPooling1D(2), valid: 7 → 3.
    show("MAXPOOL1D_2", F.max_pool1d(x1, 2))
    # AveragePooling1D(3, strides=2, padding="same"): 7 → 4, pads [1, 1].
    show("AVGPOOL1D_3_S2_SAME", F.avg_pool1d(x1, 3, 2, padding=1, count_include_pad=False))


if __name__ == "__main__":
    main()
