//! Every optimizer against per-step values from PyTorch, and from Keras 3's formulas.
//!
//! The constants below are pasted from the output of `reference/optim_reference.py`, run
//! with torch 2.15.0+cu132 on Python 3.11.7 (CPU, float32). Cases named "torch.optim…"
//! come from PyTorch's own optimizers; cases named "keras formula" are Keras 3's
//! `update_step` transcribed op by op into float32 torch tensor ops in that script
//! (NumPy was not installed; Keras itself was not available), for the rules where Keras
//! differs from PyTorch: epsilon inside the square root (RMSprop, Adagrad), Adam's
//! "epsilon hat", and Nadam's momentum cache `0.96^t`.

use derin_optim::*;
use derin_tensor::{Param, Tensor};

const THETA0: [f32; 3] = [1.0, -2.0, 0.5];
const GRADS: [[f32; 3]; 5] =
    [[0.5, -1.0, 2.0], [0.1, 0.3, -0.7], [-0.4, 0.8, 0.05], [1.5, -0.2, 0.0], [-0.9, 0.6, -1.2]];

/// The parameter's value after each of the five steps, fed GRADS.
fn run(mut opt: impl Optimizer) -> Vec<[f32; 3]> {
    let p = Param::new("w", Tensor::from_vec(THETA0.to_vec(), &[3]).to_array());
    GRADS
        .iter()
        .map(|g| {
            let grads = (&p.value() * &Tensor::from_vec(g.to_vec(), &[3])).sum_all().backward();
            opt.step(&[p.clone()], &grads);
            p.value().to_vec().try_into().unwrap()
        })
        .collect()
}

/// Every value within `5e-7`: about 2 f32 ulps at these magnitudes (|θ| ≤ 2), since the
/// two sides round differently (operation order, scalars in f64 or f32). The largest
/// difference seen was 2.4e-7 (RMSPROP_INSIDE); the Keras and PyTorch variants of one
/// rule differ by far more (e.g. 3e-3 between ADAM_KERAS and ADAM_TORCH).
fn check(name: &str, got: &[[f32; 3]], want: &[[f32; 3]; 5]) {
    for (step, (g, w)) in got.iter().zip(want).enumerate() {
        for i in 0..3 {
            assert!(
                (g[i] - w[i]).abs() <= 5e-7,
                "{name}: step {} element {i}: got {}, reference {}",
                step + 1,
                g[i],
                w[i]
            );
        }
    }
}

fn sgd(learning_rate: f32, momentum: f32, dampening: f32, nesterov: bool, weight_decay: f32) -> Sgd {
    Sgd::try_new(SgdConfig { learning_rate, momentum, dampening, nesterov, weight_decay }).unwrap()
}

#[test]
fn sgd_matches_pytorch() {
    check("SGD", &run(sgd(0.1, 0.0, 0.0, false, 0.0)), &SGD);
    check("SGD_MOMENTUM", &run(sgd(0.1, 0.9, 0.0, false, 0.0)), &SGD_MOMENTUM);
    check("SGD_NESTEROV", &run(sgd(0.1, 0.9, 0.0, true, 0.0)), &SGD_NESTEROV);
    check("SGD_DAMPENING_WEIGHT_DECAY", &run(sgd(0.1, 0.9, 0.5, false, 0.01)), &SGD_DAMPENING_WEIGHT_DECAY);
}

fn rmsprop(epsilon: f32, momentum: f32, centered: bool, epsilon_placement: EpsilonPlacement) -> RmsProp {
    RmsProp::try_new(RmsPropConfig { learning_rate: 0.01, rho: 0.9, momentum, epsilon, centered, epsilon_placement })
        .unwrap()
}

#[test]
fn rmsprop_matches_pytorch_outside_and_keras_inside() {
    use EpsilonPlacement::{InsideSqrt, OutsideSqrt};
    check("RMSPROP_OUTSIDE", &run(rmsprop(0.01, 0.0, false, OutsideSqrt)), &RMSPROP_OUTSIDE);
    check(
        "RMSPROP_OUTSIDE_CENTERED_MOMENTUM",
        &run(rmsprop(1e-7, 0.5, true, OutsideSqrt)),
        &RMSPROP_OUTSIDE_CENTERED_MOMENTUM,
    );
    check("RMSPROP_INSIDE", &run(rmsprop(0.01, 0.0, false, InsideSqrt)), &RMSPROP_INSIDE);
    check(
        "RMSPROP_INSIDE_CENTERED_MOMENTUM",
        &run(rmsprop(1e-7, 0.5, true, InsideSqrt)),
        &RMSPROP_INSIDE_CENTERED_MOMENTUM,
    );
}

fn adam(epsilon: f32, amsgrad: bool, epsilon_mode: AdamEpsilon) -> Adam {
    Adam::try_new(AdamConfig { learning_rate: 0.01, epsilon, amsgrad, epsilon_mode, ..AdamConfig::default() }).unwrap()
}

#[test]
fn adam_matches_pytorch_and_keras() {
    use AdamEpsilon::{AfterBiasCorrection, Hat};
    check("ADAM_TORCH", &run(adam(0.01, false, AfterBiasCorrection)), &ADAM_TORCH);
    check("ADAM_TORCH_AMSGRAD", &run(adam(1e-7, true, AfterBiasCorrection)), &ADAM_TORCH_AMSGRAD);
    check("ADAM_KERAS", &run(adam(0.01, false, Hat)), &ADAM_KERAS);
    check("ADAM_KERAS_AMSGRAD", &run(adam(1e-7, true, Hat)), &ADAM_KERAS_AMSGRAD);
}

#[test]
fn adamw_matches_pytorch_and_keras() {
    let config = |epsilon_mode| AdamWConfig {
        learning_rate: 0.01,
        weight_decay: 0.5,
        epsilon: 1e-7,
        epsilon_mode,
        ..AdamWConfig::default()
    };
    check("ADAMW_TORCH", &run(AdamW::try_new(config(AdamEpsilon::AfterBiasCorrection)).unwrap()), &ADAMW_TORCH);
    check("ADAMW_KERAS", &run(AdamW::try_new(config(AdamEpsilon::Hat)).unwrap()), &ADAMW_KERAS);
}

#[test]
fn adagrad_matches_pytorch_and_keras() {
    let config = |epsilon_placement| AdagradConfig {
        learning_rate: 0.1,
        initial_accumulator_value: 0.1,
        epsilon: 0.01,
        epsilon_placement,
    };
    check("ADAGRAD_TORCH", &run(Adagrad::try_new(config(EpsilonPlacement::OutsideSqrt)).unwrap()), &ADAGRAD_TORCH);
    check("ADAGRAD_KERAS", &run(Adagrad::try_new(config(EpsilonPlacement::InsideSqrt)).unwrap()), &ADAGRAD_KERAS);
}

#[test]
fn nadam_matches_pytorch_and_keras() {
    let config =
        |momentum_decay| NadamConfig { learning_rate: 0.01, epsilon: 1e-7, momentum_decay, ..NadamConfig::default() };
    check("NADAM_TORCH", &run(Nadam::try_new(config(0.004)).unwrap()), &NADAM_TORCH);
    check("NADAM_KERAS", &run(Nadam::try_new(config(1.0)).unwrap()), &NADAM_KERAS);
}

// ---- pasted from `reference/optim_reference.py` -------------------------------------
// Produced by reference/optim_reference.py with torch 2.15.0+cu132 (Python 3.11.7), CPU, float32.
// THETA0 = [1.0, -2.0, 0.5]; GRADS = [[0.5, -1.0, 2.0], [0.1, 0.3, -0.7], [-0.4, 0.8, 0.05], [1.5, -0.2, 0.0], [-0.9, 0.6, -1.2]]

/// torch.optim.SGD(lr=0.1)
const SGD: [[f32; 3]; 5] =
    [[0.95, -1.9, 0.3], [0.94, -1.93, 0.37], [0.98, -2.01, 0.365], [0.83000004, -1.99, 0.365], [0.92, -2.05, 0.485]];

/// torch.optim.SGD(lr=0.1, momentum=0.9)
const SGD_MOMENTUM: [[f32; 3]; 5] = [
    [0.95, -1.9, 0.3],
    [0.895, -1.84, 0.19000001],
    [0.88549995, -1.866, 0.086000025],
    [0.72694993, -1.8694, -0.0075999573],
    [0.67425495, -1.9324601, 0.028160064],
];

/// torch.optim.SGD(lr=0.1, momentum=0.9, nesterov=True)
const SGD_NESTEROV: [[f32; 3]; 5] = [
    [0.905, -1.81, 0.12],
    [0.8455, -1.7859999, 0.091000006],
    [0.87694997, -1.8893999, -0.0075999782],
    [0.584255, -1.8724599, -0.09183996],
    [0.6268295, -1.989214, 0.060344063],
];

/// torch.optim.SGD(lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.01)
const SGD_DAMPENING_WEIGHT_DECAY: [[f32; 3]; 5] = [
    [0.949, -1.898, 0.2995],
    [0.8976255, -1.820251, 0.15390022],
    [0.8709397, -1.7893667, 0.020283498],
    [0.77148694, -1.7506763, -0.09998169],
    [0.72659373, -1.7449795, -0.14817035],
];

/// torch.optim.RMSprop(lr=0.01, alpha=0.9, eps=0.01)
const RMSPROP_OUTSIDE: [[f32; 3]; 5] = [
    [0.97025824, -1.9693465, 0.46886945],
    [0.96413445, -1.9785875, 0.47964644],
    [0.98386383, -1.9985237, 0.47883597],
    [0.95492667, -1.9933498, 0.47883597],
    [0.97071636, -2.0078254, 0.496611],
];

/// torch.optim.RMSprop(lr=0.01, alpha=0.9, eps=1e-7, momentum=0.5, centered=True)
const RMSPROP_OUTSIDE_CENTERED_MOMENTUM: [[f32; 3]; 5] = [
    [0.9666667, -1.9666667, 0.46666667],
    [0.94301146, -1.9597129, 0.46111113],
    [0.9519621, -1.976727, 0.45749715],
    [0.9253821, -1.9799224, 0.45569015],
    [0.92823535, -1.9965373, 0.47285506],
];

/// keras formula: RMSprop(learning_rate=0.01, rho=0.9, epsilon=0.01)
const RMSPROP_INSIDE: [[f32; 3]; 5] = [
    [0.9732739, -1.9698489, 0.46876526],
    [0.9678103, -1.9789356, 0.4795794],
    [0.9862315, -1.9987446, 0.4787665],
    [0.95728, -1.9936112, 0.4787665],
    [0.9731013, -2.0080113, 0.49660826],
];

/// keras formula: RMSprop(learning_rate=0.01, rho=0.9, epsilon=1e-7, momentum=0.5, centered=True)
const RMSPROP_INSIDE_CENTERED_MOMENTUM: [[f32; 3]; 5] = [
    [0.96666676, -1.9666667, 0.46666667],
    [0.9430116, -1.9597129, 0.46111113],
    [0.95196223, -1.976727, 0.45749715],
    [0.9253822, -1.9799224, 0.45569015],
    [0.9282355, -1.9965373, 0.47285506],
];

/// torch.optim.Adam(lr=0.01, eps=0.01)
const ADAM_TORCH: [[f32; 3]; 5] = [
    [0.9901961, -1.990099, 0.49004975],
    [0.9823825, -1.9858776, 0.48621067],
    [0.98146987, -1.9871248, 0.4830987],
    [0.97589827, -1.9872713, 0.48055273],
    [0.97437483, -1.9895958, 0.4813475],
];

/// torch.optim.Adam(lr=0.01, eps=1e-7, amsgrad=True)
const ADAM_TORCH_AMSGRAD: [[f32; 3]; 5] = [
    [0.99, -1.99, 0.49],
    [0.9819696, -1.9857215, 0.4861353],
    [0.9810326, -1.986985, 0.48299858],
    [0.9753929, -1.9871336, 0.48043045],
    [0.9738512, -1.9894936, 0.48123252],
];

/// keras formula: Adam(learning_rate=0.01, epsilon=0.01)
const ADAM_KERAS: [[f32; 3]; 5] = [
    [0.9938743, -1.9924026, 0.4913653],
    [0.9889188, -1.989119, 0.4880027],
    [0.9882892, -1.9901376, 0.4852729],
    [0.9835641, -1.9902576, 0.48303702],
    [0.982246, -1.9921969, 0.4837468],
];

/// keras formula: Adam(learning_rate=0.01, epsilon=1e-7, amsgrad=True)
const ADAM_KERAS_AMSGRAD: [[f32; 3]; 5] = [
    [0.9900001, -1.9900001, 0.49000007],
    [0.98196983, -1.9857217, 0.48613542],
    [0.98103285, -1.9869852, 0.4829987],
    [0.9753932, -1.9871339, 0.4804306],
    [0.9738515, -1.9894938, 0.48123264],
];

/// torch.optim.AdamW(lr=0.01, eps=1e-7, weight_decay=0.5)
const ADAMW_TORCH: [[f32; 3]; 5] = [
    [0.985, -1.98, 0.4875],
    [0.9720446, -1.9658215, 0.4811978],
    [0.9662474, -1.957256, 0.47565436],
    [0.9557764, -1.9476184, 0.4707061],
    [0.94945586, -1.9402403, 0.46915466],
];

/// keras formula: AdamW(learning_rate=0.01, weight_decay=0.5, epsilon=1e-7)
const ADAMW_KERAS: [[f32; 3]; 5] = [
    [0.98500013, -1.9800001, 0.48750007],
    [0.9720448, -1.9658217, 0.48119792],
    [0.9662476, -1.9572561, 0.4756545],
    [0.9557767, -1.9476185, 0.47070625],
    [0.94945616, -1.9402404, 0.46915478],
];

/// torch.optim.Adagrad(lr=0.1, initial_accumulator_value=0.1, eps=0.01)
const ADAGRAD_TORCH: [[f32; 3]; 5] = [
    [0.9168894, -1.9055543, 0.40171245],
    [0.900496, -1.9328054, 0.43423384],
    [0.95520735, -1.9915092, 0.43191153],
    [0.86561936, -1.97699, 0.43191153],
    [0.91293573, -2.0169017, 0.48057106],
];

/// keras formula: Adagrad(learning_rate=0.1, initial_accumulator_value=0.1, epsilon=0.01)
const ADAGRAD_KERAS: [[f32; 3]; 5] = [
    [0.9166667, -1.9050843, 0.40134728],
    [0.9002268, -1.9324703, 0.43398494],
    [0.955171, -1.9914471, 0.4316543],
    [0.86520696, -1.9768606, 0.4316543],
    [0.91270715, -2.01695, 0.48047152],
];

/// torch.optim.NAdam(lr=0.01, eps=1e-7, momentum_decay=0.004)
const NADAM_TORCH: [[f32; 3]; 5] = [
    [0.9894355, -1.9894354, 0.4894355],
    [0.98676664, -1.9918355, 0.49229386],
    [0.9931154, -1.99837, 0.4916473],
    [0.9817068, -1.9966694, 0.49124175],
    [0.9874583, -2.0022578, 0.49756306],
];

/// keras formula: Nadam(learning_rate=0.01, epsilon=1e-7)
const NADAM_KERAS: [[f32; 3]; 5] = [
    [0.9893722, -1.9893721, 0.4893722],
    [0.9866605, -1.9916185, 0.49206817],
    [0.99253166, -1.9977304, 0.4913705],
    [0.98206127, -1.9962173, 0.49088404],
    [0.98690754, -2.001189, 0.4963805],
];
