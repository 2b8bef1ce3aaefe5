//! What the models' training steps share: the optimizer step once compiled, and the
//! class labels of a conditional model's batch.

use derin_data::{Batch, Targets};
use derin_optim::Optimizer;
use derin_tensor::{Gradients, Param};

/// One step of `optimizer` on `params`; `Err` naming `operation` when there is none yet.
pub(crate) fn optimize(
    optimizer: &mut Option<Box<dyn Optimizer>>,
    operation: &'static str,
    params: &[Param],
    grads: &Gradients,
) -> derin_nn::Result<()> {
    let Some(optimizer) = optimizer.as_mut() else {
        let reason = "no optimizer: call compile first".to_string();
        return Err(derin_nn::Error::Data { operation, reason });
    };
    optimizer.step(params, grads);
    Ok(())
}

/// The batch's labels for a model conditioned on `classes` classes (`None` when 0):
/// `Err` naming `operation` when they are missing or not classes.
pub(crate) fn class_labels<'b>(
    batch: &'b Batch,
    classes: usize,
    operation: &'static str,
) -> derin_nn::Result<Option<&'b [usize]>> {
    match &batch.y {
        _ if classes == 0 => Ok(None),
        Targets::Labels(l) if l.iter().all(|&c| c < classes) => Ok(Some(l)),
        _ => {
            let reason =
                format!("batches need class labels: a conditional model needs labels below {classes} in every batch");
            Err(derin_nn::Error::Data { operation, reason })
        }
    }
}
