//! A small element tree over quick-xml's reader, for `pom.xml`, MSBuild
//! projects and `packages.config`: files of a few hundred elements, where a
//! tree reads far more plainly than a stream of events. Names are local
//! (namespaces dropped: old MSBuild files put everything in one) and
//! compared without case (MSBuild's are case-insensitive).

use quick_xml::events::Event;
use quick_xml::reader::Reader;
use quick_xml::XmlVersion;

use super::{line_of, ParseError};

/// Deeper than any real manifest; the limit keeps a hostile file from
/// exhausting the stack when the tree is dropped.
const MAX_DEPTH: usize = 200;

#[derive(Debug, Default)]
pub(super) struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name.eq_ignore_ascii_case(name))
    }

    pub fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name.eq_ignore_ascii_case(name))
    }

    /// The trimmed text of a child, when it has some.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.trim()).filter(|t| !t.is_empty())
    }

    /// A trimmed, non-empty attribute.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
    }
}

/// The document's root element.
pub(super) fn parse(path: &str, content: &str) -> Result<Element, ParseError> {
    let mut reader = Reader::from_str(content);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let error = |reader: &Reader<&[u8]>, message: String| {
        ParseError::at(path, line_of(content, reader.error_position() as usize), format!("not valid XML: {message}"))
    };
    loop {
        let event = reader.read_event().map_err(|e| error(&reader, e.to_string()))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                if root.is_some() {
                    return Err(error(&reader, "content after the root element".into()));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(error(&reader, format!("elements nested deeper than {MAX_DEPTH}")));
                }
                let mut element = Element { name: e.local_name().as_ref().to_string(), ..Element::default() };
                for attr in e.attributes() {
                    let attr = attr.map_err(|e| error(&reader, e.to_string()))?;
                    #[allow(deprecated)] // the replacement needs an XmlVersion for the same result
                    let value = attr.unescape_value().map_err(|e| error(&reader, e.to_string()))?;
                    element.attrs.push((attr.key.local_name().as_ref().to_string(), value.into_owned()));
                }
                if matches!(event, Event::Empty(_)) {
                    close(element, &mut stack, &mut root);
                } else {
                    stack.push(element);
                }
            }
            Event::End(_) => {
                let element = stack.pop().ok_or_else(|| error(&reader, "an end tag without a start".into()))?;
                close(element, &mut stack, &mut root);
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml_content(XmlVersion::Implicit1_0));
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml_content(XmlVersion::Implicit1_0));
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c.to_string()),
                    _ => quick_xml::escape::unescape(&format!("&{};", &*r.into_inner())).ok().map(|s| s.into_owned()),
                };
                if let (Some(top), Some(text)) = (stack.last_mut(), resolved) {
                    top.text.push_str(&text);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(ParseError::new(path, format!("not valid XML: `<{}>` is never closed", open.name)));
    }
    root.ok_or_else(|| ParseError::new(path, "not valid XML: no root element"))
}

fn close(element: Element, stack: &mut [Element], root: &mut Option<Element>) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None => *root = Some(element),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_with_text_entities_and_attributes() {
        let root =
            parse("x.xml", "<?xml version=\"1.0\"?>\n<a xmlns=\"urn:x\"><b k=\"v &amp; w\">1 &lt; 2&#33;</b><c/></a>")
                .unwrap();
        assert_eq!(root.name, "a");
        assert_eq!(root.text_of("B"), Some("1 < 2!"));
        assert_eq!(root.child("b").unwrap().attr("K"), Some("v & w"));
        assert!(root.child("c").is_some());
    }

    #[test]
    fn broken_documents_are_errors_with_lines() {
        let err = parse("x.xml", "<a>\n<b>\n</c></a>").unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        assert!(parse("x.xml", "<a><b></b>").unwrap_err().message.contains("never closed"));
        assert!(parse("x.xml", "").unwrap_err().message.contains("no root"));
        let deep = "<a>".repeat(10_000);
        assert!(parse("x.xml", &deep).unwrap_err().message.contains("deeper"));
    }
}
