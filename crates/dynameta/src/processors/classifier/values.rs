//! Values of every attribute path of a set of items, as text for the recognizers.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::processors::hash::StrHasher;
use crate::processors::inference::MAX_DEPTH;

type Paths<'a> = HashMap<Vec<&'a str>, Vec<&'a str>, std::hash::BuildHasherDefault<StrHasher>>;

/// Sampled values per attribute path (`["profile", "address", "street"]`).
///
/// Lists are transparent (a list of maps gives values at `list.field`, a list of
/// strings at `list`), sets give their elements, numbers their digits. Booleans,
/// NULLs and binary values are not text a recognizer could judge and are left out.
#[derive(Debug, Default)]
pub struct ColumnValues<'a> {
    values: Paths<'a>,
    cap: usize,
}

impl<'a> ColumnValues<'a> {
    /// Collects values from the first `cap` of `items`, at most `cap` per path. The
    /// items come in random key order, so the first `cap` are as good as any `cap`; a
    /// column present in only some items gets proportionally fewer values.
    pub fn collect(
        items: impl IntoIterator<Item = &'a HashMap<String, AttributeValue>>,
        cap: usize,
    ) -> ColumnValues<'a> {
        let mut out = ColumnValues {
            values: Paths::default(),
            cap,
        };
        let mut path = Vec::new();
        for item in items.into_iter().take(cap) {
            for (name, value) in item {
                path.push(name.as_str());
                out.visit(&mut path, value, 0);
                path.pop();
            }
        }
        out
    }

    /// The values at `path` (empty when none were seen).
    pub fn get<'k>(&'k self, path: &[&'k str]) -> &'k [&'k str]
    where
        'a: 'k,
    {
        // Covariance: the same map, seen with the shorter lifetime of the key.
        let this: &'k ColumnValues<'k> = self;
        this.values.get(path).map_or(&[], Vec::as_slice)
    }

    fn push(&mut self, path: &[&'a str], text: &'a str) {
        if let Some(list) = self.values.get_mut(path) {
            if list.len() < self.cap {
                list.push(text);
            }
        } else if self.cap > 0 {
            self.values.insert(path.to_vec(), vec![text]);
        }
    }

    fn visit(&mut self, path: &mut Vec<&'a str>, value: &'a AttributeValue, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match value {
            AttributeValue::S(s) => self.push(path, s),
            AttributeValue::N(n) => self.push(path, n),
            AttributeValue::Ss(set) | AttributeValue::Ns(set) => {
                for s in set {
                    self.push(path, s);
                }
            }
            AttributeValue::L(list) => {
                for element in list {
                    self.visit(path, element, depth + 1);
                }
            }
            AttributeValue::M(map) => {
                for (name, child) in map {
                    path.push(name.as_str());
                    self.visit(path, child, depth + 1);
                    path.pop();
                }
            }
            _ => {}
        }
    }
}
