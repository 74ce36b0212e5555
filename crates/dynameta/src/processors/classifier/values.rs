//! Values of every attribute path of a set of items, as text for the recognizers.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::processors::inference::MAX_DEPTH;

/// Sampled values per attribute path (`["profile", "address", "street"]`).
///
/// Lists are transparent (a list of maps gives values at `list.field`, a list of
/// strings at `list`), sets give their elements, numbers their digits. Booleans,
/// NULLs and binary values are not text a recognizer could judge and are left out.
#[derive(Debug, Default)]
pub struct ColumnValues {
    values: HashMap<Vec<String>, Vec<String>>,
    cap: usize,
}

impl ColumnValues {
    /// Collects values from `items`, at most `cap` per path.
    pub fn collect<'a>(
        items: impl IntoIterator<Item = &'a HashMap<String, AttributeValue>>,
        cap: usize,
    ) -> ColumnValues {
        let mut out = ColumnValues {
            values: HashMap::new(),
            cap,
        };
        let mut path = Vec::new();
        for item in items {
            for (name, value) in item {
                path.push(name.clone());
                out.visit(&mut path, value, 0);
                path.pop();
            }
        }
        out
    }

    /// The values at `path` (empty when none were seen).
    pub fn get(&self, path: &[String]) -> &[String] {
        self.values.get(path).map_or(&[], Vec::as_slice)
    }

    fn push(&mut self, path: &[String], text: String) {
        if let Some(list) = self.values.get_mut(path) {
            if list.len() < self.cap {
                list.push(text);
            }
        } else if self.cap > 0 {
            self.values.insert(path.to_vec(), vec![text]);
        }
    }

    fn visit(&mut self, path: &mut Vec<String>, value: &AttributeValue, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match value {
            AttributeValue::S(s) => self.push(path, s.clone()),
            AttributeValue::N(n) => self.push(path, n.clone()),
            AttributeValue::Ss(set) | AttributeValue::Ns(set) => {
                for s in set {
                    self.push(path, s.clone());
                }
            }
            AttributeValue::L(list) => {
                for element in list {
                    self.visit(path, element, depth + 1);
                }
            }
            AttributeValue::M(map) => {
                for (name, child) in map {
                    path.push(name.clone());
                    self.visit(path, child, depth + 1);
                    path.pop();
                }
            }
            _ => {}
        }
    }
}
