//! Tests of `Embedding` and `Masking`: picked rows, accumulated gradients, masks, errors.

use super::*;
use derin_tensor::check_gradients;

/// A 4 × 2 table whose row `i` is `[10 i, 10 i + 1]`.
fn table() -> Embedding {
    let mut emb = Embedding::new(4, 2).unwrap();
    emb.build(&[3], &mut Rng::seed(0)).unwrap();
    emb.embeddings()
        .unwrap()
        .set(Tensor::from_vec(vec![0.0, 1.0, 10.0, 11.0, 20.0, 21.0, 30.0, 31.0], &[4, 2]).to_array());
    emb
}

#[test]
fn forward_picks_the_rows_of_the_ids() {
    let emb = table();
    let x = Tensor::from_vec(vec![3.0, 1.0, 1.0, 0.0, 2.0, 3.0], &[2, 3]);
    let mut ctx = Ctx::eval();
    ctx.set_mask(Some(Tensor::ones(&[2, 3])));
    let y = emb.forward(&x, &mut ctx);
    assert_eq!(y.shape(), &[2, 3, 2]);
    assert_eq!(y.to_vec(), vec![30.0, 31.0, 10.0, 11.0, 10.0, 11.0, 0.0, 1.0, 20.0, 21.0, 30.0, 31.0]);
    assert!(ctx.mask().is_none(), "without mask_zero the layer clears the mask");
}

#[test]
fn gradient_accumulates_on_repeated_ids_and_skips_unused_rows() {
    let emb = table();
    let x = Tensor::from_vec(vec![3.0, 1.0, 1.0, 0.0, 1.0, 3.0], &[2, 3]);
    // loss = Σ y · w with w[n, t, :] = [a, b]: row r of the gradient is the sum of w over
    // the positions with id r.
    let w = Tensor::from_vec((0..12).map(|i| i as f32).collect(), &[2, 3, 2]);
    let grads = (emb.forward(&x, &mut Ctx::train(0)) * &w).sum_all().backward();
    let g: Vec<f32> = grads.param(emb.embeddings().unwrap()).unwrap().iter().copied().collect();
    // id 0 at (1,0): w = [6, 7]; id 1 at (0,1), (0,2), (1,1): [2+4+8, 3+5+9] = [14, 17];
    // id 2 unused: [0, 0]; id 3 at (0,0), (1,2): [0+10, 1+11] = [10, 12]
    assert_eq!(g, vec![6.0, 7.0, 14.0, 17.0, 0.0, 0.0, 10.0, 12.0]);
    // It is kept row-sparse: the used rows only, never a gradient of the whole table.
    let rows = grads.rows(emb.embeddings().unwrap()).expect("a row-sparse gradient");
    assert_eq!(rows.rows(), &[0, 1, 3]);
    assert_eq!(rows.values().iter().copied().collect::<Vec<_>>(), vec![6.0, 7.0, 14.0, 17.0, 10.0, 12.0]);
    // The lookup's own gradient rule, by finite differences.
    let ids = [3, 1, 1, 0, 1, 3];
    let f = |xs: &[Tensor]| (xs[0].index_select(0, &ids).reshape(&[2, 3, 2]) * &w).tanh().sum_all();
    check_gradients(f, &[Tensor::from_vec(vec![0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8], &[4, 2])]).unwrap();
}

#[test]
fn mask_zero_masks_the_padding_ids() {
    let emb = table().with_mask_zero(true);
    let x = Tensor::from_vec(vec![2.0, 1.0, 0.0, 3.0, 0.0, 0.0], &[2, 3]);
    let mut ctx = Ctx::train(0);
    let y = emb.forward(&x, &mut ctx);
    assert_eq!(y.narrow(1, 2, 1).narrow(0, 0, 1).to_vec(), vec![0.0, 1.0], "row 0 is still looked up");
    assert_eq!(ctx.mask().unwrap().shape(), &[2, 3]);
    assert_eq!(ctx.mask().unwrap().to_vec(), vec![1.0, 1.0, 0.0, 1.0, 0.0, 0.0]);
}

#[test]
#[should_panic(expected = "embedding (Embedding): token id 4 is not a whole number in [0, 4) (input_dim = 4)")]
fn an_id_out_of_range_panics_naming_the_layer() {
    table().forward(&Tensor::from_vec(vec![1.0, 4.0, 0.0], &[1, 3]), &mut Ctx::eval());
}

#[test]
#[should_panic(expected = "token id 1.5")]
fn a_fractional_id_panics() {
    table().forward(&Tensor::from_vec(vec![1.5, 0.0, 0.0], &[1, 3]), &mut Ctx::eval());
}

#[test]
fn ids_of_any_rank_gain_a_last_axis() {
    let emb = Embedding::new(10, 3).unwrap();
    assert_eq!(emb.output_shape(&[7]).unwrap(), vec![7, 3]);
    assert_eq!(emb.output_shape(&[7, 2]).unwrap(), vec![7, 2, 3]);
    assert_eq!(emb.output_shape(&[]).unwrap(), vec![3]); // one id per sample
    let y = table().forward(&Tensor::from_vec(vec![1.0, 2.0], &[2]), &mut Ctx::eval());
    assert_eq!(y.shape(), &[2, 2]);
    assert!(Embedding::new(3, 0).unwrap_err().to_string().contains("output_dim"));
}

#[test]
fn weights_and_initializer_follow_keras() {
    let mut emb = Embedding::new(100, 8).unwrap().named("tokens");
    emb.build(&[5], &mut Rng::seed(3)).unwrap();
    assert_eq!(emb.weights()[0].name(), "tokens/embeddings");
    let v = emb.embeddings().unwrap().value();
    assert_eq!(v.shape(), &[100, 8]);
    // uniform(−0.05, 0.05): mean ≈ 0, variance ≈ 0.1² / 12 = 8.3e-4
    assert!(v.to_vec().iter().all(|x| (-0.05..0.05).contains(x)));
    assert!(v.mean_all().item().abs() < 0.005);
    assert!((v.var(&[0, 1], false).item() - 8.33e-4).abs() < 1e-4);
    emb.set_trainable(false);
    let grads = emb.forward(&Tensor::zeros(&[1, 5]), &mut Ctx::train(0)).sum_all().backward();
    assert!(grads.param(emb.embeddings().unwrap()).is_none());
}

#[test]
fn masking_zeroes_and_masks_padded_steps() {
    let masking = Masking::default();
    // [N=2, T=3, F=2]; steps (0,1) and (1,2) are all zero, (1,0) has one zero feature.
    let x = Tensor::from_vec(vec![1.0, 2.0, 0.0, 0.0, 3.0, 4.0, 0.0, 5.0, 6.0, 7.0, 0.0, 0.0], &[2, 3, 2]);
    let mut ctx = Ctx::eval();
    let y = masking.forward(&x, &mut ctx);
    assert_eq!(y.to_vec(), x.to_vec());
    assert_eq!(ctx.mask().unwrap().to_vec(), vec![1.0, 0.0, 1.0, 1.0, 1.0, 0.0]);
    // Another mask value: the steps equal to it are zeroed in the output.
    let x = Tensor::from_vec(vec![1.0, -1.0, -1.0, -1.0, 2.0, 3.0], &[1, 3, 2]);
    let y = Masking::new(-1.0).forward(&x, &mut ctx);
    assert_eq!(y.to_vec(), vec![1.0, -1.0, 0.0, 0.0, 2.0, 3.0]);
    assert_eq!(ctx.mask().unwrap().to_vec(), vec![1.0, 0.0, 1.0]);
    // The gradient passes where the mask is 1 only.
    let xt = x.requires_grad();
    let grads = Masking::new(-1.0).forward(&xt, &mut ctx).sum_all().backward();
    assert_eq!(grads.array(&xt).unwrap().iter().copied().collect::<Vec<_>>(), vec![1.0, 1.0, 0.0, 0.0, 1.0, 1.0]);
}

#[test]
fn masking_needs_time_and_features() {
    let err = Masking::default().output_shape(&[5]).unwrap_err().to_string();
    assert!(err.contains("masking (Masking)") && err.contains("[time, features]") && err.contains("[5]"), "{err}");
    assert_eq!(Masking::default().output_shape(&[4, 3]).unwrap(), vec![4, 3]);
}
