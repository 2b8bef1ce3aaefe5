//! A parameter large enough to be updated in parts on several threads ends exactly where
//! the same values end when updated as small parameters on one thread, for every
//! optimizer (so the parts line up with the optimizer's slots).

use derin_tensor::{Param, Rng, Tensor};

use super::MIN_PART;
use crate::{
    Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig, Nadam, Optimizer, RmsProp, RmsPropConfig, Sgd,
    SgdConfig,
};

/// Pieces of the large parameter: each under `MIN_PART` elements, so updated in one call.
const PIECES: usize = 5;
/// Elements per piece: odd, so the large parameter's parts end inside a piece.
const PIECE: usize = MIN_PART * 4 / 5 + 7;

fn values(seed: u64) -> Vec<f32> {
    Tensor::normal(&[PIECES * PIECE], 0.0, 1.0, &mut Rng::seed(seed)).to_vec()
}

/// Three steps of `make()` on one large parameter and on the same values as small ones.
fn same_as_in_pieces(what: &str, make: impl Fn() -> Box<dyn Optimizer>) {
    derin_tensor::set_num_threads(2);
    let whole = Param::new("whole", Tensor::from_vec(values(1), &[PIECES * PIECE]).to_array());
    let pieces: Vec<Param> = values(1)
        .chunks(PIECE)
        .enumerate()
        .map(|(i, v)| Param::new(&format!("piece_{i}"), Tensor::from_vec(v.to_vec(), &[PIECE]).to_array()))
        .collect();
    let (mut big, mut small) = (make(), make());
    for step in 0..3 {
        let g = values(10 + step);
        let grads = (whole.value() * Tensor::from_vec(g.clone(), &[PIECES * PIECE])).sum_all().backward();
        big.step(&[whole.clone()], &grads);
        let loss = pieces
            .iter()
            .zip(g.chunks(PIECE))
            .map(|(p, g)| (p.value() * Tensor::from_vec(g.to_vec(), &[PIECE])).sum_all())
            .reduce(|a, b| a + b)
            .expect("pieces");
        small.step(&pieces, &loss.backward());
        let joined: Vec<f32> = pieces.iter().flat_map(|p| p.value().to_vec()).collect();
        assert_eq!(whole.value().to_vec(), joined, "{what}: values after step {step}");
    }
    assert_ne!(whole.value().to_vec(), values(1), "{what}: the parameter moved");
}

#[test]
fn a_large_parameter_updated_in_parts_equals_the_one_thread_update() {
    same_as_in_pieces("sgd", || {
        Box::new(Sgd::try_new(SgdConfig { learning_rate: 0.1, ..SgdConfig::default() }).unwrap())
    });
    same_as_in_pieces("sgd + nesterov momentum + weight decay", || {
        let c =
            SgdConfig { learning_rate: 0.1, momentum: 0.9, nesterov: true, weight_decay: 0.01, ..SgdConfig::default() };
        Box::new(Sgd::try_new(c).unwrap())
    });
    same_as_in_pieces("adam + amsgrad", || {
        Box::new(Adam::try_new(AdamConfig { learning_rate: 0.1, amsgrad: true, ..AdamConfig::default() }).unwrap())
    });
    same_as_in_pieces("adamw", || {
        Box::new(AdamW::try_new(AdamWConfig { learning_rate: 0.1, ..AdamWConfig::default() }).unwrap())
    });
    same_as_in_pieces("nadam", || Box::new(Nadam::new()));
    same_as_in_pieces("centered rmsprop + momentum", || {
        let c = RmsPropConfig { momentum: 0.5, centered: true, ..RmsPropConfig::default() };
        Box::new(RmsProp::try_new(c).unwrap())
    });
    same_as_in_pieces("adagrad", || Box::new(Adagrad::try_new(AdagradConfig::default()).unwrap()));
}
