//! Gradient descent (GD, the whole data set per update), mini-batch GD (64 samples) and
//! stochastic GD (one sample) on the same least-squares problem, measured side by side:
//! time per parameter update, time per epoch, wall time to a target loss, gradient noise
//! (mean squared distance of the batch gradient from the full gradient, relative to the
//! full gradient's squared norm) and loss stability (coefficient of variation of the full
//! training loss over the last updates).
//!
//! The course claims: computation per update is fastest for SGD, then mini-batch, then
//! GD; gradient accuracy and convergence stability go the other way (GD > mini-batch >
//! SGD). This example prints the orderings it *measured* and says where they disagree.
//!
//! Run: `cargo run --release -p derin-nn --example gd_sgd_minibatch`

use std::time::{Duration, Instant};

use derin_optim::{Optimizer, Sgd, SgdConfig};
use derin_tensor::{Param, Rng, Tensor, no_grad};

const N: usize = 20_000;
const D: usize = 10;

struct Problem {
    x: Tensor,
    y: Tensor,
    optimum: f64,
}

struct Method {
    name: &'static str,
    batch: usize,
    lr: f32,
}

struct Measured {
    per_update: Duration,
    per_epoch: Duration,
    to_target: Option<Duration>,
    noise: f64,
    stability: f64,
}

fn loss(x: &Tensor, y: &Tensor, w: &Tensor, b: &Tensor) -> Tensor {
    (x.matmul(w) + b - y).square().mean_all()
}

/// The least-squares optimum of the data (normal equations with an intercept column,
/// solved by Gaussian elimination in f64): the loss no method can beat.
fn optimum_loss(x: &Tensor, y: &Tensor) -> f64 {
    let (xs, ys) = (x.to_vec(), y.to_vec());
    let k = D + 1;
    let mut a = vec![vec![0.0f64; k + 1]; k];
    for i in 0..N {
        let row: Vec<f64> = xs[i * D..(i + 1) * D].iter().map(|&v| v as f64).chain([1.0]).collect();
        for r in 0..k {
            for c in 0..k {
                a[r][c] += row[r] * row[c];
            }
            a[r][k] += row[r] * ys[i] as f64;
        }
    }
    for col in 0..k {
        let pivot = (col..k).max_by(|&p, &q| a[p][col].abs().total_cmp(&a[q][col].abs())).unwrap_or(col);
        a.swap(col, pivot);
        for r in 0..k {
            if r != col {
                let f = a[r][col] / a[col][col];
                let pivot_row = a[col].clone();
                a[r].iter_mut().zip(&pivot_row).for_each(|(v, p)| *v -= f * p);
            }
        }
    }
    let beta: Vec<f64> = (0..k).map(|r| a[r][k] / a[r][r]).collect();
    (0..N)
        .map(|i| {
            let pred: f64 = (0..D).map(|j| xs[i * D + j] as f64 * beta[j]).sum::<f64>() + beta[D];
            (pred - ys[i] as f64).powi(2)
        })
        .sum::<f64>()
        / N as f64
}

fn problem() -> Problem {
    let mut rng = Rng::seed(0);
    let x = Tensor::normal(&[N, D], 0.0, 1.0, &mut rng);
    let w_true = Tensor::normal(&[D, 1], 0.0, 2.0, &mut rng);
    let y = x.matmul(&w_true) + 3.0 + Tensor::normal(&[N, 1], 0.0, 0.5, &mut rng);
    let optimum = optimum_loss(&x, &y);
    Problem { x, y, optimum }
}

fn params() -> (Param, Param) {
    (Param::new("w", Tensor::zeros(&[D, 1]).to_array()), Param::new("b", Tensor::zeros(&[1]).to_array()))
}

fn full_loss(p: &Problem, w: &Param, b: &Param) -> f64 {
    no_grad(|| loss(&p.x, &p.y, &w.value(), &b.value())).item() as f64
}

/// Gradient noise at the starting point: E‖g_batch − g‖² / ‖g‖² over 500 random batches.
fn gradient_noise(p: &Problem, batch: usize, rng: &mut Rng) -> f64 {
    let (w, b) = params();
    let grad = |x: &Tensor, y: &Tensor| {
        let g = loss(x, y, &w.value(), &b.value()).backward();
        let mut v = g.param(&w).expect("w is used").iter().copied().collect::<Vec<f32>>();
        v.extend(g.param(&b).expect("b is used").iter().copied());
        v
    };
    let full = grad(&p.x, &p.y);
    let norm2: f64 = full.iter().map(|&g| (g as f64).powi(2)).sum();
    let trials = 500;
    let mut total = 0.0;
    for _ in 0..trials {
        let idx: Vec<usize> = (0..batch).map(|_| rng.below(N)).collect();
        let g = grad(&p.x.index_select(0, &idx), &p.y.index_select(0, &idx));
        total += g.iter().zip(&full).map(|(&a, &f)| (a as f64 - f as f64).powi(2)).sum::<f64>();
    }
    total / trials as f64 / norm2
}

fn run(p: &Problem, m: &Method) -> Measured {
    let mut rng = Rng::seed(1);
    let noise = if m.batch == N { 0.0 } else { gradient_noise(p, m.batch, &mut rng) };
    let (w, b) = params();
    let mut sgd = Sgd::try_new(SgdConfig { learning_rate: m.lr, ..SgdConfig::default() }).expect("valid rate");
    let target = p.optimum * 1.05;
    let updates_per_epoch = N / m.batch;
    // Check the full loss every `every` updates (not timed), 20 times per epoch at most.
    let every = (updates_per_epoch / 20).max(1);
    let (mut busy, mut updates, mut to_target) = (Duration::ZERO, 0usize, None);
    let mut order: Vec<usize> = (0..N).collect();
    let mut tail = Vec::new();
    let epochs = if m.batch == N { 400 } else { 3 };
    for epoch in 0..epochs {
        rng.shuffle(&mut order);
        for chunk in order.chunks_exact(m.batch) {
            let start = Instant::now();
            let (xb, yb) = if m.batch == N {
                (p.x.clone(), p.y.clone())
            } else {
                (p.x.index_select(0, chunk), p.y.index_select(0, chunk))
            };
            let grads = loss(&xb, &yb, &w.value(), &b.value()).backward();
            sgd.step(&[w.clone(), b.clone()], &grads);
            busy += start.elapsed();
            updates += 1;
            if updates % every == 0 {
                let l = full_loss(p, &w, &b);
                if to_target.is_none() && l <= target {
                    to_target = Some(busy);
                }
                if epoch == epochs - 1 || (m.batch == N && epoch >= epochs - 20) {
                    tail.push(l);
                }
            }
        }
    }
    let mean = tail.iter().sum::<f64>() / tail.len() as f64;
    let std = (tail.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / tail.len() as f64).sqrt();
    Measured {
        per_update: busy / updates as u32,
        per_epoch: busy * updates_per_epoch as u32 / updates as u32,
        to_target,
        noise,
        stability: std / mean,
    }
}

/// Names ordered by value, smallest (best) first, joined with " > ".
fn ordering(names: &[&str], values: &[f64]) -> (String, Vec<usize>) {
    let mut idx: Vec<usize> = (0..names.len()).collect();
    idx.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    (idx.iter().map(|&i| names[i]).collect::<Vec<_>>().join(" > "), idx)
}

fn main() {
    let p = problem();
    println!("least squares: {N} samples, {D} features; optimum MSE {:.4}, target ≤ 1.05 × optimum\n", p.optimum);
    let methods = [
        Method { name: "GD", batch: N, lr: 0.1 },
        Method { name: "MB-GD", batch: 64, lr: 0.05 },
        Method { name: "SGD", batch: 1, lr: 0.002 },
    ];
    println!(
        "{:<7} {:>6} {:>6} {:>13} {:>12} {:>15} {:>15} {:>16}",
        "method", "batch", "lr", "µs/update", "ms/epoch", "time to target", "gradient noise", "loss CV (tail)"
    );
    let mut results = Vec::new();
    for m in &methods {
        let r = run(&p, m);
        let target = r.to_target.map_or("not reached".to_string(), |t| format!("{:.1} ms", t.as_secs_f64() * 1e3));
        println!(
            "{:<7} {:>6} {:>6} {:>13.2} {:>12.2} {:>15} {:>15.4} {:>16.2e}",
            m.name,
            m.batch,
            m.lr,
            r.per_update.as_secs_f64() * 1e6,
            r.per_epoch.as_secs_f64() * 1e3,
            target,
            r.noise,
            r.stability
        );
        results.push(r);
    }
    let names: Vec<&str> = methods.iter().map(|m| m.name).collect();
    println!("\norderings, best first (fastest, least noisy, most stable):");
    let claims = [
        (
            "computation speed per update",
            results.iter().map(|r| r.per_update.as_secs_f64()).collect::<Vec<_>>(),
            ["SGD", "MB-GD", "GD"],
        ),
        ("gradient accuracy", results.iter().map(|r| r.noise).collect(), ["GD", "MB-GD", "SGD"]),
        ("convergence stability", results.iter().map(|r| r.stability).collect(), ["GD", "MB-GD", "SGD"]),
    ];
    for (what, values, claimed) in claims {
        let (measured, idx) = ordering(&names, &values);
        let agrees = idx.iter().map(|&i| names[i]).eq(claimed.iter().copied());
        let verdict = if agrees { "agrees with the course" } else { "DISAGREES with the course" };
        println!("{what:<30}: measured {measured:<22} course {:<22} → {verdict}", claimed.join(" > "));
    }
    let (epoch_order, _) = ordering(&names, &results.iter().map(|r| r.per_epoch.as_secs_f64()).collect::<Vec<_>>());
    println!(
        "{:<30}: measured {epoch_order} (one epoch is 1 GD update, {} MB-GD updates, {N} SGD updates)",
        "time per epoch",
        N / 64
    );
    let (target_order, _) = ordering(
        &names,
        &results.iter().map(|r| r.to_target.map_or(f64::INFINITY, |t| t.as_secs_f64())).collect::<Vec<_>>(),
    );
    println!("{:<30}: measured {target_order}", "wall time to the target loss");
}
