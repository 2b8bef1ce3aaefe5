"""Reference values for derin-data's scalers on float64 data (data/tests/preprocess/scale_f64.rs).

Generated with scikit-learn 1.9.1 and NumPy 2.4.6 (Python 3.11.7). Run from the repository root:

    python3 reference/scalers.py

and paste the printed (row-major, flattened) arrays into the test; change both together.
"""

import numpy as np
import sklearn
from sklearn.preprocessing import MinMaxScaler, StandardScaler

# Column 0 needs float64 (1e10 + 0.5 has no float32), column 1 has a NaN, column 3 is
# constant, column 2 spans several magnitudes.
X = np.array(
    [
        [1e10 + 0.5, 3.0, -2.25, 7.0],
        [1e10 + 1.0, np.nan, 0.125, 7.0],
        [1e10 + 2.75, 5.5, 4.0, 7.0],
        [1e10 - 1.25, 1.0, 1e-3, 7.0],
    ],
    dtype=np.float64,
)
NEW = np.array([[1e10 + 3.0, 0.0, -3.0, 8.0]], dtype=np.float64)


def show(name, value):
    """Prints `value` flattened in row-major order, each float in its shortest round-trip form."""
    flat = ", ".join("f64::NAN" if np.isnan(v) else repr(float(v)) for v in np.ravel(value))
    print(f"{name} = [{flat}]")


def main():
    print(f"# scikit-learn {sklearn.__version__}, NumPy {np.__version__}")
    mm = MinMaxScaler(feature_range=(-1.0, 2.0)).fit(X)
    for attr in ["data_min_", "data_max_", "data_range_", "scale_", "min_"]:
        show(f"minmax.{attr}", getattr(mm, attr))
    show("minmax.transform(X)", mm.transform(X))
    show("minmax.transform(NEW)", mm.transform(NEW))
    show("minmax.inverse_transform([[0.5] * 4])", mm.inverse_transform(np.full((1, 4), 0.5)))
    st = StandardScaler().fit(X)
    for attr in ["mean_", "var_", "scale_", "n_samples_seen_"]:
        show(f"standard.{attr}", getattr(st, attr))
    show("standard.transform(X)", st.transform(X))
    show("standard.transform(NEW)", st.transform(NEW))
    show("standard.inverse_transform([[0.5] * 4])", st.inverse_transform(np.full((1, 4), 0.5)))


if __name__ == "__main__":
    main()
