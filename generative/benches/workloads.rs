//! The benchmark workloads of `shared/BENCHMARKS.md` that need the generative crate, one
//! JSON line each on stdout: `cargo xtask bench [filter]` (timing policy in
//! `derin_tensor::workload`).

use derin_data::{Batch, Targets};
use derin_generative::{Vae, VaeConfig};
use derin_nn::{Ctx, TrainStep};
use derin_optim::{Adam, AdamConfig};
use derin_tensor::workload::{Workloads, emit, median, time_train};
use derin_tensor::{Rng, Tensor};

/// One Adam step (lr 1e-3) of the 784 → 400 → 20 → 400 → 784 VAE on a batch of 128
/// uniform images, the loss per sample (summed BCE from logits + KL), fixed noise.
fn vae_bench(rng: &mut Rng) {
    let mut vae = Vae::new(VaeConfig::default(), 0).expect("valid sizes");
    vae.compile(Box::new(Adam::try_new(AdamConfig { learning_rate: 1e-3, ..AdamConfig::default() }).expect("valid")));
    let x = Tensor::uniform(&[128, 784], 0.0, 1.0, rng);
    let eps = Tensor::normal(&[128, 20], 0.0, 1.0, rng);
    let loss0 = vae.loss_with_noise(&x, None, &eps).total.item();
    let batch = Batch { x: x.clone(), y: Targets::Unlabeled, indices: (0..128).collect() };
    let mut ctx = Ctx::train(0);
    let t = time_train(|| {
        vae.train_step(&batch, &mut ctx).expect("compiled");
    });
    let loss1 = vae.loss_with_noise(&x, None, &eps).total.item();
    emit(
        "derin",
        "vae_train_step",
        1.0 / median(&t),
        "steps/s",
        t.len(),
        &format!(", \"loss0\": {loss0:.4}, \"loss1\": {loss1:.4}"),
    );
}

fn main() {
    let w = Workloads::setup();
    let mut rng = Rng::seed(0);
    if w.wanted("vae_train_step") {
        vae_bench(&mut rng);
    }
}
