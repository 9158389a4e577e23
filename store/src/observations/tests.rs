use super::*;

#[test]
fn a_syntax_error_names_its_line_and_column() {
    let err = parse("obs.json", "{\n  \"source\": \"x\",\n  \"scope\" \"y\"\n}").unwrap_err();
    assert_eq!(err.to_string(), "obs.json: line 3, column 11: expected `:`");
}

#[test]
fn a_missing_field_is_named() {
    let err = parse("obs.json", r#"{"source":"x","scope":"y","complete":true}"#).unwrap_err();
    assert!(err.to_string().contains("missing field `day`"), "{err}");
}

#[test]
fn a_bad_date_is_named_with_its_field() {
    let json = r#"{"source":"x","scope":"y","day":"2024-02-30","complete":true}"#;
    let err = parse("obs.json", json).unwrap_err();
    assert!(err.to_string().contains(": day: '2024-02-30' is not a date"), "{err}");
}

#[test]
fn semantic_problems_name_their_field() {
    let json = r#"{"source":"x","scope":"y","day":"2024-02-03","complete":true,
        "entities":[{"key":"nokind","kind":"service","name":"a"}]}"#;
    let err = parse("obs.json", json).unwrap_err();
    assert!(err.to_string().starts_with("obs.json: entities[0].key: 'nokind' is not an entity key"), "{err}");
}

#[test]
fn an_origin_with_a_newline_stays_on_one_line() {
    let err = parse("evil\nerror: forged.json", "[]").unwrap_err();
    assert!(err.to_string().starts_with("evil\\nerror: forged.json: an observation is one JSON object"), "{err}");
}
