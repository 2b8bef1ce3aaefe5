# Reference files produced with NumPy 2.4.6 on Python 3.11.7; rerun and update the tests if this changes.
"""Writes the reference .npy files that derin-tensor's npy tests read.

Generated with NumPy 2.4.6 (Python 3). Run from the repository root:

    python3 reference/npy_fixtures.py

The tests in tensor/src/npy/tests.rs hard-code the values defined here; change both together.
"""

import os

import numpy as np

OUT = os.path.join("tensor", "tests", "fixtures", "npy")


def save(name, array, version=None):
    path = os.path.join(OUT, name)
    if version is None:
        np.save(path, array)
    else:
        with open(path, "wb") as f:
            np.lib.format.write_array(f, array, version=version)
    print(f"NumPy {np.__version__}: {path}: dtype={array.dtype.str} shape={array.shape} "
          f"fortran={np.isfortran(array)} version={version or 'default'}")


def main():
    os.makedirs(OUT, exist_ok=True)
    # float64, 2x3, C order.
    save("f8_2x3.npy", np.array([[0.5, -1.25, 3.0], [1e-3, 2.5e10, -0.0]], dtype="<f8"))
    # int64 labels, including 0 and a large value.
    save("i8_labels.npy", np.array([3, 0, 9, 1, 123456789], dtype="<i8"))
    # uint8 "image", 2x2x3: value = 10 * flat index + 5.
    save("u1_image_2x2x3.npy", (np.arange(12, dtype="u1") * 10 + 5).reshape(2, 2, 3))
    # float32, 2x3, C order: what derin-tensor's writer must reproduce byte for byte.
    save("f4_c_2x3.npy", np.array([[1, 2, 3], [4, 5, 6]], dtype="<f4"))
    # float32, 2x3, Fortran order (data stored column by column).
    save("f4_fortran_2x3.npy", np.asfortranarray(np.array([[1, 2, 3], [4, 5, 6]], dtype="<f4")))
    # big-endian int32, 4 values including negatives.
    save("i4_big_endian.npy", np.array([1, -2, 65536, -2147483648], dtype=">i4"))
    # 0-d float32 and an empty (0, 3) float32.
    save("f4_scalar.npy", np.array(7.5, dtype="<f4"))
    save("f4_empty_0x3.npy", np.zeros((0, 3), dtype="<f4"))
    # Format versions 2.0 and 3.0 of the same float32 vector.
    save("f4_v2.npy", np.array([1.5, -2.5, 4.0], dtype="<f4"), version=(2, 0))
    save("f4_v3.npy", np.array([1.5, -2.5, 4.0], dtype="<f4"), version=(3, 0))
    # Token ids for npy::read_as_f32: int32 within ±2^24 (exact in float32, both limits included),
    # and int64 with 2^24 + 1 at flat index 4 (no float32 holds it: an error).
    save("i4_tokens_2x3.npy", np.array([[4, 0, 7], [16777216, -16777216, 9]], dtype="<i4"))
    save("i8_ids_beyond_f32.npy", np.array([[1, 2, 3], [4, 16777217, 5]], dtype="<i8"))
    # float64 for npy::read_f64 / write_f64: values no float32 holds, the smallest subnormal,
    # infinity and -0.0 (what derin-tensor's f64 writer must reproduce byte for byte), and the
    # same kind of data big-endian.
    save("f8_precise_2x3.npy", np.array([[0.1, 1e10 + 0.5, 1e300], [5e-324, np.inf, -0.0]], dtype="<f8"))
    save("f8_big_endian.npy", np.array([1.5, -0.1, 2.0**53], dtype=">f8"))
    # int64 at the edge of exact float64 integers: -2^53 and 2^53 read, 2^53 + 1 (flat index 3) does not.
    save("i8_beyond_f64.npy", np.array([[-(2**53), 2**53], [7, 2**53 + 1]], dtype="<i8"))


if __name__ == "__main__":
    main()
