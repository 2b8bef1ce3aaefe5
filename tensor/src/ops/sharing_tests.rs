//! Shape ops share the input's buffer instead of copying it; ops reading a broadcast never
//! expand it; row-sparse gradients of lookups add up with dense ones.

use crate::testing::*;
use crate::{Param, Tensor, check_gradients};

/// Whether `y`'s values live inside `x`'s buffer.
fn shares(x: &Tensor, y: &Tensor) -> bool {
    let (start, n) = (x.array().as_ptr() as usize, x.len() * 4);
    let p = y.view().as_ptr() as usize;
    (start..start + n).contains(&p)
}

#[test]
fn layout_ops_share_the_buffer() {
    let x = Tensor::arange(0.0, 24.0, 1.0).reshape(&[2, 3, 4]).requires_grad();
    type F = fn(&Tensor) -> Tensor;
    let ops: [(&str, F); 9] = [
        ("reshape", |x| x.reshape(&[6, 4])),
        ("flatten", |x| x.flatten(0, 1)),
        ("permute", |x| x.permute(&[2, 0, 1])),
        ("transpose", |x| x.transpose(-1, 0)),
        ("unsqueeze", |x| x.unsqueeze(1)),
        ("squeeze", |x| x.narrow(1, 2, 1).squeeze(1)),
        ("narrow", |x| x.narrow(-1, 1, 2)),
        ("squeeze of a permuted view", |x| x.permute(&[2, 1, 0]).narrow(1, 0, 1).squeeze(1)),
        ("detach", |x| x.detach()),
    ];
    for (name, f) in ops {
        let y = f(&x);
        assert!(shares(&x, &y), "{name} copied");
    }
    // The values are those of a copy.
    close(&x.permute(&[2, 0, 1]).narrow(0, 1, 1).squeeze(0), &[1.0, 5.0, 9.0, 13.0, 17.0, 21.0]);
    close(&x.narrow(-1, 1, 2).reshape(&[12]).narrow(0, 0, 4), &[1.0, 2.0, 5.0, 6.0]);
}

#[test]
fn reshaping_a_permuted_tensor_copies_in_row_major_order() {
    let x = Tensor::arange(0.0, 6.0, 1.0).reshape(&[2, 3]).t();
    let y = x.reshape(&[6]);
    close(&y, &[0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
    assert!(!shares(&x, &y));
}

#[test]
fn broadcast_is_read_without_expanding() {
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3, 1]).requires_grad();
    let b = x.broadcast_to(&[4, 3, 1000]);
    assert_eq!(b.shape(), &[4, 3, 1000]);
    assert_eq!(b.view().strides(), &[0, 1, 0]);
    assert!(shares(&x, &b));
    let y = (&b * 2.0).sum(&[0, 2], false);
    close(&y, &[8000.0, 16000.0, 24000.0]);
    assert!(shares(&x, &b), "reading it did not expand it");
    // Its gradient sums back; asked for as an array it is expanded once.
    let grads = (&b * &b).sum_all().backward();
    close(&grads.get(&x).unwrap(), &[8000.0, 16000.0, 24000.0]);
    assert_eq!(b.array().strides(), &[3000, 1000, 1]);
    assert_eq!((b.to_vec()[999], b.to_vec()[1000], b.to_vec()[2999]), (1.0, 2.0, 3.0));
    let x2 = away_from_kinks(&[2, 1, 3], -1.0, 1.0, 4);
    grad_ok("broadcast then reshape", |xs| weighted_sum(&xs[0].broadcast_to(&[2, 4, 3]).reshape(&[8, 3])), &[x2]);
}

#[test]
fn a_shared_parameter_buffer_is_copied_on_update_only_when_still_held() {
    let p = Param::new("w", Tensor::zeros(&[4]).to_array());
    let frozen = p.frozen_value();
    assert_eq!(frozen.array().as_ptr(), p.value().array().as_ptr(), "the frozen value shares the buffer");
    let view = p.value().reshape(&[2, 2]);
    p.update(|v| v.fill(1.0));
    assert_eq!(frozen.to_vec(), vec![0.0; 4], "a handle taken before keeps its values");
    assert_eq!(view.to_vec(), vec![0.0; 4]);
    assert_eq!(p.value().to_vec(), vec![1.0; 4]);
    drop((frozen, view));
    let before = p.value().array().as_ptr();
    p.update(|v| v.fill(2.0));
    assert_eq!(p.value().array().as_ptr(), before, "updated in place once nothing else holds it");
}

#[test]
fn sparse_lookup_gradients_mix_with_dense_ones() {
    let table = Param::new("t", Tensor::arange(0.0, 8.0, 1.0).reshape(&[4, 2]).to_array());
    // Used by a lookup and by a dense op (tied weights): the sum is dense and right.
    let looked = table.value().index_select(0, &[3, 3, 0]).sum_all();
    let dense = (table.value() * table.value()).sum_all();
    let grads = (&looked + &dense).backward();
    assert!(grads.rows(&table).is_none());
    let want: Vec<f32> = (0..8)
        .map(|i| {
            2.0 * i as f32
                + if i < 2 {
                    1.0
                } else if i >= 6 {
                    2.0
                } else {
                    0.0
                }
        })
        .collect();
    assert_eq!(grads.param(&table).unwrap().iter().copied().collect::<Vec<_>>(), want);
    // Two lookups stay sparse and add up.
    let two =
        (table.value().index_select(0, &[1]).sum_all() + table.value().index_select(0, &[1, 2]).sum_all()).backward();
    let rows = two.rows(&table).expect("sparse");
    assert_eq!(rows.rows(), &[1, 2]);
    assert_eq!(rows.values().iter().copied().collect::<Vec<_>>(), vec![2.0, 2.0, 1.0, 1.0]);
    // A lookup into a computed table: the rows reach the op, then flow on densely.
    let x = Tensor::arange(0.0, 6.0, 1.0).reshape(&[3, 2]).requires_grad();
    let g = (&x * 3.0).index_select(0, &[2, 2]).sum_all().backward();
    close(&g.get(&x).unwrap(), &[0.0, 0.0, 0.0, 0.0, 6.0, 6.0]);
    // And every index_select agrees with finite differences.
    let x = away_from_kinks(&[5, 3], -1.0, 1.0, 2);
    check_gradients(|xs| weighted_sum(&xs[0].index_select(0, &[4, 0, 4, 2])), &[x.clone()]).unwrap();
    check_gradients(|xs| weighted_sum(&xs[0].index_select(-1, &[2, 2, 0])), &[x.clone()]).unwrap();
    check_gradients(|xs| weighted_sum(&xs[0].index_select(0, &[])), &[x]).unwrap();
}
