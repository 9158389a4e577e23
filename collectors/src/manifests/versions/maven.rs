//! Maven: `ComparableVersion`'s items and qualifiers.

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Item {
    /// Digits without leading zeros ("" is zero), so any length orders.
    Int(String),
    Str(String),
    List(Vec<Item>),
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

/// Known qualifiers by rank; unknown ones after them, alphabetically.
fn qualifier_rank(q: &str) -> String {
    match QUALIFIERS.iter().position(|k| *k == q) {
        Some(i) => i.to_string(),
        None => format!("7-{q}"),
    }
}

fn string_item(value: &str, followed_by_digit: bool) -> Item {
    let value = match (value, followed_by_digit) {
        ("a", true) => "alpha",
        ("b", true) => "beta",
        ("m", true) => "milestone",
        ("ga" | "final" | "release", _) => "",
        ("cr", _) => "rc",
        (other, _) => other,
    };
    Item::Str(value.to_string())
}

fn int_item(digits: &str) -> Item {
    Item::Int(digits.trim_start_matches('0').to_string())
}

fn parse_item(text: &str, digit: bool) -> Item {
    if digit {
        int_item(text)
    } else {
        string_item(text, false)
    }
}

fn is_null(item: &Item) -> bool {
    match item {
        Item::Int(digits) => digits.is_empty(),
        Item::Str(s) => s.is_empty(),
        Item::List(items) => items.is_empty(),
    }
}

fn normalize(items: &mut Vec<Item>) {
    let mut i = items.len();
    while i > 0 {
        i -= 1;
        if is_null(&items[i]) {
            items.remove(i);
        } else if !matches!(items[i], Item::List(_)) {
            break;
        }
    }
}

/// A version as Maven's `ComparableVersion` parses it: a list whose
/// `-` parts are nested lists.
pub(super) fn parse(version: &str) -> Item {
    let version = version.to_lowercase();
    // Each `-` opens a list inside the current one; `path` holds them.
    let mut path: Vec<Vec<Item>> = vec![Vec::new()];
    let chars: Vec<char> = version.chars().collect();
    let mut digit = false;
    let mut start = 0;
    let text = |from: usize, to: usize| chars[from..to].iter().collect::<String>();
    for (i, &c) in chars.iter().enumerate() {
        // What to add to the innermost list, and whether a new list opens after it.
        let (item, opens) = if c == '.' || c == '-' {
            let item = if i == start { Item::Int(String::new()) } else { parse_item(&text(start, i), digit) };
            start = i + 1;
            (Some(item), c == '-')
        } else if c.is_ascii_digit() {
            let item = (!digit && i > start).then(|| string_item(&text(start, i), true));
            if item.is_some() {
                start = i;
            }
            digit = true;
            let opens = item.is_some();
            (item, opens)
        } else {
            let item = (digit && i > start).then(|| parse_item(&text(start, i), true));
            if item.is_some() {
                start = i;
            }
            digit = false;
            let opens = item.is_some();
            (item, opens)
        };
        if let Some(item) = item {
            path.last_mut().expect("never empty").push(item);
        }
        if opens {
            path.push(Vec::new());
        }
    }
    if chars.len() > start {
        let item = parse_item(&text(start, chars.len()), digit);
        path.last_mut().expect("never empty").push(item);
    }
    // Close the nested lists from the innermost out, normalising each.
    let mut inner = path.pop().expect("never empty");
    normalize(&mut inner);
    while let Some(mut outer) = path.pop() {
        outer.push(Item::List(inner));
        normalize(&mut outer);
        inner = outer;
    }
    Item::List(inner)
}

fn int_cmp(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// An item against a missing one (the shorter version's end).
fn against_nothing(item: &Item) -> Ordering {
    match item {
        Item::Int(digits) => {
            if digits.is_empty() {
                Ordering::Equal
            } else {
                Ordering::Greater
            }
        }
        Item::Str(s) => qualifier_rank(s).cmp(&qualifier_rank("")),
        Item::List(items) => items.first().map_or(Ordering::Equal, against_nothing),
    }
}

impl Item {
    pub(super) fn compare(&self, other: &Item) -> Ordering {
        match (self, other) {
            (Item::Int(a), Item::Int(b)) => int_cmp(a, b),
            (Item::Int(_), _) => Ordering::Greater,
            (Item::Str(_), Item::Int(_)) => Ordering::Less,
            (Item::Str(a), Item::Str(b)) => qualifier_rank(a).cmp(&qualifier_rank(b)),
            (Item::Str(_), Item::List(_)) => Ordering::Less,
            (Item::List(_), Item::Int(_)) => Ordering::Less,
            (Item::List(_), Item::Str(_)) => Ordering::Greater,
            (Item::List(a), Item::List(b)) => {
                for i in 0..a.len().max(b.len()) {
                    let order = match (a.get(i), b.get(i)) {
                        (Some(x), Some(y)) => x.compare(y),
                        (Some(x), None) => against_nothing(x),
                        (None, Some(y)) => against_nothing(y).reverse(),
                        (None, None) => Ordering::Equal,
                    };
                    if order != Ordering::Equal {
                        return order;
                    }
                }
                Ordering::Equal
            }
        }
    }

    /// The leading numbers of the top list (`1.2.3-rc1` → 1, 2, 3).
    pub(super) fn leading_numbers(&self) -> Vec<u64> {
        let Item::List(items) = self else { return Vec::new() };
        items
            .iter()
            .map_while(|i| match i {
                Item::Int(d) if d.is_empty() => Some(0),
                Item::Int(d) => d.parse().ok(),
                _ => None,
            })
            .collect()
    }
}
