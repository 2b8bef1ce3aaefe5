//! Tests of axis resolution and of negative axes in every op that takes one: same values and
//! gradients as the positive axis (also on non-contiguous inputs), and panics that name the
//! op, the axis and the rank.

use ndarray::{ArrayD, IxDyn};

use super::*;
use crate::Tensor;
use crate::testing::*;

#[test]
fn resolves_from_both_ends() {
    let shape = [2, 3, 4];
    for (given, want) in [(-3i32, 0usize), (-2, 1), (-1, 2), (0, 0), (2, 2)] {
        assert_eq!(given.resolve("t", &shape), want);
        assert_eq!((given as isize).resolve("t", &shape), want);
        assert_eq!((given as i64).resolve("t", &shape), want);
    }
    assert_eq!(1usize.resolve("t", &shape), 1);
    assert_eq!((-1i32).resolve_new("t", &shape), 3);
    assert_eq!((-4i32).resolve_new("t", &shape), 0);
    assert_eq!(3usize.resolve_new("t", &shape), 3);
    assert_eq!(resolve_all(&[-1, 0], "t", &shape), vec![2, 0]);
    assert_eq!(resolve_all(&[1usize, 1], "t", &shape), vec![1, 1]);
}

#[test]
#[should_panic(expected = "mean: axis 3 is out of range for shape [2, 3, 4] of rank 3 (valid: -3..=2)")]
fn too_large_is_named() {
    3usize.resolve("mean", &[2, 3, 4]);
}

#[test]
#[should_panic(expected = "softmax: axis -1 is out of range for shape [] of rank 0 (no axes)")]
fn zero_d_has_no_axes() {
    (-1i32).resolve("softmax", &[]);
}

#[test]
#[should_panic(expected = "stack: axis -4 is out of range for a new axis in shape [2, 3] of rank 2 (valid: -3..=2)")]
fn new_axis_range_is_named() {
    (-4i32).resolve_new("stack", &[2, 3]);
}

#[test]
#[should_panic(expected = "axis 18446744073709551615 is out of range")]
fn huge_usize_is_out_of_range() {
    usize::MAX.resolve("sum", &[2]);
}

/// `[2, 3, 4]` values, and the same values read through a permutation (non-contiguous).
fn inputs() -> [Tensor; 2] {
    let x = away_from_kinks(&[2, 3, 4], -2.0, 2.0, 17);
    let strided = x.permute(&[2, 0, 1]).permute(&[1, 2, 0]);
    assert_eq!(strided.shape(), x.shape());
    [x, strided]
}

type Op = fn(&Tensor) -> Tensor;

/// Pairs of the same op written with a negative and with a non-negative axis.
fn pairs() -> Vec<(&'static str, Op, Op)> {
    vec![
        ("sum", |x| x.sum(&[-1], false), |x| x.sum(&[2], false)),
        ("sum_two", |x| x.sum(&[0, -1], true), |x| x.sum(&[0, 2], true)),
        ("mean", |x| x.mean(&[-2], false), |x| x.mean(&[1], false)),
        ("max", |x| x.max(&[-1], true), |x| x.max(&[2], true)),
        ("min", |x| x.min(&[-3], false), |x| x.min(&[0], false)),
        ("var", |x| x.var(&[-1], false), |x| x.var(&[2], false)),
        ("var_unbiased", |x| x.var_unbiased(&[-2, -1], false), |x| x.var_unbiased(&[1, 2], false)),
        ("std", |x| x.std(&[-2], true), |x| x.std(&[1], true)),
        ("logsumexp", |x| x.logsumexp(&[-1], false), |x| x.logsumexp(&[2], false)),
        ("softmax", |x| x.softmax(-1), |x| x.softmax(2)),
        ("log_softmax", |x| x.log_softmax(-2), |x| x.log_softmax(1)),
        ("concat", |x| Tensor::concat(&[x, x], -1), |x| Tensor::concat(&[x, x], 2)),
        ("stack", |x| Tensor::stack(&[x, x], -1), |x| Tensor::stack(&[x, x], 3)),
        ("stack_first", |x| Tensor::stack(&[x, x], -4), |x| Tensor::stack(&[x, x], 0)),
        ("split", |x| x.split(&[1, 3], -1)[1].clone(), |x| x.split(&[1, 3], 2)[1].clone()),
        ("chunk", |x| x.chunk(2, -2)[0].clone(), |x| x.chunk(2, 1)[0].clone()),
        ("narrow", |x| x.narrow(-1, 1, 2), |x| x.narrow(2, 1, 2)),
        ("slice_axis", |x| x.slice_axis(-2, 0, 3, 2), |x| x.slice_axis(1, 0, 3, 2)),
        ("squeeze", |x| x.unsqueeze(-1).squeeze(-1), |x| x.unsqueeze(3).squeeze(3)),
        ("unsqueeze", |x| x.unsqueeze(-2), |x| x.unsqueeze(2)),
        ("transpose", |x| x.transpose(-1, -3), |x| x.transpose(2, 0)),
        ("permute", |x| x.permute(&[-1, 0, -2]), |x| x.permute(&[2, 0, 1])),
        ("flatten", |x| x.flatten(-2, -1), |x| x.flatten(1, 2)),
        ("index_select", |x| x.index_select(-1, &[3, 0, 3]), |x| x.index_select(2, &[3, 0, 3])),
        ("gather", |x| x.gather(-2, &index()), |x| x.gather(1, &index())),
        (
            "scatter_add",
            |x| x.scatter_add(-2, &index(), &x.narrow(1, 0, 2)),
            |x| x.scatter_add(1, &index(), &x.narrow(1, 0, 2)),
        ),
    ]
}

/// A `[2, 2, 4]` index into axis 1 (size 3) of the inputs.
fn index() -> ArrayD<usize> {
    ArrayD::from_shape_fn(IxDyn(&[2, 2, 4]), |p| (p[0] + 2 * p[1] + p[2]) % 3)
}

#[test]
fn negative_axes_give_the_same_values() {
    for x in inputs() {
        for (name, negative, positive) in pairs() {
            let (a, b) = (negative(&x), positive(&x));
            assert_eq!(a.shape(), b.shape(), "{name}");
            assert_eq!(a.to_vec(), b.to_vec(), "{name}");
        }
        assert_eq!(x.argmax(-1, false), x.argmax(2, true).remove_axis(ndarray::Axis(2)));
        assert_eq!(x.argmin(-3, true), x.argmin(0usize, true));
        assert_eq!(x.argmax(-2isize, false), x.argmax(1i64, false));
    }
}

#[test]
fn negative_axes_have_correct_gradients() {
    for x in inputs() {
        for (name, negative, _) in pairs() {
            grad_ok(name, |xs| weighted_sum(&negative(&xs[0])), std::slice::from_ref(&x));
        }
    }
}

#[test]
fn a_0_d_tensor_flattens_with_negative_axes() {
    assert_eq!(Tensor::scalar(3.0).flatten(0, -1).shape(), &[1]);
    assert_eq!(Tensor::scalar(3.0).unsqueeze(-1).shape(), &[1]);
}

#[test]
fn every_op_names_itself_the_axis_and_the_rank() {
    fn x() -> Tensor {
        Tensor::zeros(&[2, 3])
    }
    type Bad = fn();
    let cases: Vec<(&str, Bad)> = vec![
        ("sum: axis -3 is out of range for shape [2, 3] of rank 2 (valid: -2..=1)", || {
            x().sum(&[0, -3], false);
        }),
        ("mean: axis 2 is out of range", || {
            x().mean(&[2], false);
        }),
        ("max: axis -3 is out of range", || {
            x().max(&[-3], false);
        }),
        ("logsumexp: axis -5 is out of range", || {
            x().logsumexp(&[-5], false);
        }),
        ("argmax: axis -3 is out of range", || {
            x().argmax(-3, false);
        }),
        ("softmax: axis 2 is out of range for shape [2, 3] of rank 2", || {
            x().softmax(2);
        }),
        ("log_softmax: axis -3 is out of range", || {
            x().log_softmax(-3);
        }),
        ("concat: axis -3 is out of range", || {
            Tensor::concat(&[&x(), &x()], -3);
        }),
        ("stack: axis -4 is out of range for a new axis in shape [2, 3] of rank 2 (valid: -3..=2)", || {
            Tensor::stack(&[&x(), &x()], -4);
        }),
        ("split: axis -3 is out of range", || {
            x().split(&[1, 1], -3);
        }),
        ("chunk: axis 5 is out of range", || {
            x().chunk(2, 5);
        }),
        ("narrow: axis -3 is out of range", || {
            x().narrow(-3, 0, 1);
        }),
        ("slice: axis 2 is out of range", || {
            x().slice_axis(2, 0, 1, 1);
        }),
        ("squeeze: axis -3 is out of range", || {
            x().squeeze(-3);
        }),
        ("unsqueeze: axis -4 is out of range for a new axis", || {
            x().unsqueeze(-4);
        }),
        ("transpose: axis -3 is out of range", || {
            x().transpose(0, -3);
        }),
        ("permute: axis -3 is out of range", || {
            x().permute(&[0, -3]);
        }),
        ("flatten: axis 2 is out of range", || {
            x().flatten(0, 2);
        }),
        ("index_select: axis -3 is out of range", || {
            x().index_select(-3, &[0]);
        }),
        ("gather: axis 2 is out of range", || {
            x().gather(2, &ArrayD::zeros(IxDyn(&[2, 3])));
        }),
        ("scatter_add: axis -3 is out of range", || {
            x().scatter_add(-3, &ArrayD::zeros(IxDyn(&[2, 3])), &x());
        }),
    ];
    for (expected, case) in cases {
        let message = std::panic::catch_unwind(case).expect_err(expected);
        let message = message.downcast_ref::<String>().map_or("(not a String)", String::as_str);
        assert!(message.contains(expected), "{message:?} does not contain {expected:?}");
    }
    // A permutation that repeats an axis after resolution is named with the resolved order.
    let message = std::panic::catch_unwind(|| x().permute(&[1, -1])).expect_err("repeated axis");
    let message = message.downcast_ref::<String>().unwrap();
    assert!(message.contains("permute: [1, 1] is not a permutation of the axes of shape [2, 3]"), "{message}");
    let message = std::panic::catch_unwind(|| x().flatten(-1, 0)).expect_err("reversed");
    assert!(message.downcast_ref::<String>().unwrap().contains("flatten: start axis 1 comes after end axis 0"));
}
