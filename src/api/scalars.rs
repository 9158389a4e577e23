//! The `Date` scalar (ISO `YYYY-MM-DD`) and enums shared across modules.

use async_graphql::{Enum, InputValueError, InputValueResult, Scalar, ScalarType, Value};

use crate::model::{self, Day};

/// A calendar day, `YYYY-MM-DD` (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub Day);

#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(text) => text.parse::<Day>().map(Date).map_err(|e| InputValueError::custom(e.to_string())),
            other => Err(InputValueError::expected_type(other)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

/// `None` for an open end ("still valid").
pub fn end(day: Day) -> Option<Date> {
    (!day.is_open()).then_some(Date(day))
}

pub fn day(date: Option<Date>) -> Option<Day> {
    date.map(|d| d.0)
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum Direction {
    /// Along the edges: "what does it need".
    Out,
    /// Against the edges: "who needs it".
    In,
    Both,
}

impl From<Direction> for model::Direction {
    fn from(direction: Direction) -> model::Direction {
        match direction {
            Direction::Out => model::Direction::Out,
            Direction::In => model::Direction::In,
            Direction::Both => model::Direction::Both,
        }
    }
}

/// One kind of edge to follow, in one direction.
#[derive(async_graphql::InputObject, Clone, Debug)]
pub struct EdgeRuleInput {
    pub kind: String,
    pub direction: Direction,
}

impl From<&EdgeRuleInput> for model::EdgeRule {
    fn from(rule: &EdgeRuleInput) -> model::EdgeRule {
        model::EdgeRule::new(&rule.kind, rule.direction.into())
    }
}
