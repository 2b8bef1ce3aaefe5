//! `Model::summary`: Keras' functional layer table, with the "Connected to" column.

use derin_tensor::Param;

use super::{Model, NodeKind};
use crate::summary::{shape_text, thousands};

const WIDTH: usize = 98;

fn row(layer: &str, shape: &str, params: &str, connected: &[String]) -> String {
    let first = connected.first().map_or(String::new(), Clone::clone);
    let mut out = format!(" {layer:<31}{shape:<21}{params:<12}{first}");
    out = out.trim_end().to_string() + "\n";
    for more in connected.iter().skip(1) {
        out += &format!("{:65}{more}\n", "");
    }
    out
}

impl Model {
    /// A table of layers like Keras' `model.summary()` for functional models: name and
    /// type, output shape (`None` for the batch axis; `multiple` for a shared layer
    /// called on differently shaped inputs; inputs as `[(None, …)]`), parameter count
    /// (once per layer, however often it is called), and the nodes each layer is
    /// connected to (`name[call][0]`, as Keras writes them; a shared layer lists the
    /// inputs of every call), then the totals.
    ///
    /// ```
    /// use derin_nn::{Activation, Concatenate, Dense, Graph, Model};
    /// let mut g = Graph::new();
    /// let (a, b) = (g.input("a", &[3]).unwrap(), g.input("b", &[2]).unwrap());
    /// let joined = g.merge(Concatenate::new(-1), &[&a, &b]).unwrap();
    /// let out = g.apply(Dense::new(1, Activation::Sigmoid), &joined).unwrap();
    /// let s = Model::new(g, &[&a, &b], &[&out]).unwrap().summary();
    /// assert!(s.contains(" a (InputLayer)                 [(None, 3)]          0\n"), "{s}");
    /// assert!(s.contains(" dense (Dense)                  (None, 1)            6           ['concatenate[0][0]']\n"), "{s}");
    /// assert!(s.contains("Total params: 6\n"));
    /// ```
    pub fn summary(&self) -> String {
        let g = &self.graph;
        let mut out = format!("Model: \"{}\"\n", self.name);
        out += &format!("{}\n", "_".repeat(WIDTH));
        out += &row("Layer (type)", "Output Shape", "Param #", &["Connected to".to_string()]);
        out += &format!("{}\n", "=".repeat(WIDTH));
        let mut shown = Vec::new();
        for &i in &self.order {
            match &g.nodes[i].kind {
                NodeKind::Input { name } => {
                    let shape = format!("[{}]", shape_text(&g.nodes[i].shape));
                    out += &row(&format!("{name} (InputLayer)"), &shape, "0", &[]);
                }
                NodeKind::Call { layer, .. } if !shown.contains(layer) => {
                    shown.push(*layer);
                    let calls: Vec<usize> = self
                        .order
                        .iter()
                        .copied()
                        .filter(|&n| matches!(g.nodes[n].kind, NodeKind::Call { layer: l, .. } if l == *layer))
                        .collect();
                    let shape = &g.nodes[calls[0]].shape;
                    let shape = if calls.iter().all(|&c| &g.nodes[c].shape == shape) {
                        shape_text(shape)
                    } else {
                        "multiple".into()
                    };
                    let mut connected = Vec::new();
                    for &c in &calls {
                        if let NodeKind::Call { inputs, .. } = &g.nodes[c].kind {
                            connected.extend(inputs.iter().map(|&n| format!("'{}'", g.node_ref(n))));
                        }
                    }
                    let last = connected.len().saturating_sub(1);
                    let connected: Vec<String> = connected
                        .iter()
                        .enumerate()
                        .map(|(k, c)| {
                            let open = if k == 0 { "[" } else { " " };
                            let close = if k == last { "]" } else { "," };
                            format!("{open}{c}{close}")
                        })
                        .collect();
                    let count = g.layers[*layer].count_params().to_string();
                    out += &row(&g.layers[*layer].label(), &shape, &count, &connected);
                }
                NodeKind::Call { .. } => {}
            }
        }
        out += &format!("{}\n", "=".repeat(WIDTH));
        let count = |ps: Vec<Param>| ps.iter().map(Param::len).sum::<usize>();
        let (trainable, frozen) = (count(self.params()), count(self.non_trainable_params()));
        out += &format!("Total params: {}\n", thousands(trainable + frozen));
        out += &format!("Trainable params: {}\n", thousands(trainable));
        out += &format!("Non-trainable params: {}\n", thousands(frozen));
        out += &format!("{}\n", "_".repeat(WIDTH));
        out
    }
}
