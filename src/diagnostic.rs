//! How the command prints its errors: every line `error: POSITION: message`
//! (the position when one is known), as clap prints its own, or with
//! `--error-format json` one JSON object per line. The keys are documented
//! in docs/rules.md, section 9.

use creditsim::input::{LineError, LoadErrors};
use std::ffi::OsString;

/// The form of the error lines on standard error.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ErrorFormat {
    /// `error: FILE:LINE: message`, one line per error.
    #[default]
    Text,
    /// One JSON object per error: file, line or row (when known), message
    /// and exit_code.
    Json,
}

/// One error line: where (when known) and what.
#[derive(Debug)]
pub struct Diagnostic {
    file: Option<String>,
    /// The line, or the row of a row-numbered file such as Parquet.
    position: Option<(&'static str, u64)>,
    message: String,
}

impl Diagnostic {
    /// An error about no file in particular.
    pub fn message(message: String) -> Self {
        Diagnostic {
            file: None,
            position: None,
            message,
        }
    }

    /// An error about a whole file.
    pub fn in_file(file: &str, message: String) -> Self {
        Diagnostic {
            file: Some(file.to_owned()),
            position: None,
            message,
        }
    }

    /// An error of a library message of the form `FILE: message`, when it
    /// names `file` so; any other message stays whole.
    pub fn about_file(file: &str, message: String) -> Self {
        match message
            .strip_prefix(file)
            .and_then(|m| m.strip_prefix(": "))
        {
            Some(rest) => Diagnostic::in_file(file, rest.to_owned()),
            None => Diagnostic::message(message),
        }
    }

    /// The text form, without the leading `error: `.
    fn text(&self) -> String {
        match (&self.file, self.position) {
            (Some(file), Some(("row", n))) => format!("{file}:row {n}: {}", self.message),
            (Some(file), Some((_, n))) => format!("{file}:{n}: {}", self.message),
            (Some(file), None) => format!("{file}: {}", self.message),
            (None, _) => self.message.clone(),
        }
    }

    fn json(&self, exit_code: u8) -> String {
        let mut object = serde_json::Map::new();
        if let Some(file) = &self.file {
            object.insert("file".into(), file.clone().into());
        }
        if let Some((key, n)) = self.position {
            object.insert(key.into(), n.into());
        }
        object.insert("message".into(), self.message.clone().into());
        object.insert("exit_code".into(), exit_code.into());
        serde_json::Value::Object(object).to_string()
    }

    /// The line to print, in `format`.
    pub fn render(&self, format: ErrorFormat, exit_code: u8) -> String {
        match format {
            ErrorFormat::Text => format!("error: {}", self.text()),
            ErrorFormat::Json => self.json(exit_code),
        }
    }
}

impl From<LineError> for Diagnostic {
    fn from(error: LineError) -> Self {
        let position = match error.line {
            // Line 0 is no line: the whole file, or the whole run.
            0 => None,
            n if error.counts_rows() => Some(("row", n)),
            n => Some(("line", n)),
        };
        Diagnostic {
            file: Some(error.file),
            position,
            message: error.detail,
        }
    }
}

/// Every error of a plans or rules file.
pub fn of_load_errors(errors: LoadErrors) -> Vec<Diagnostic> {
    errors.0.into_iter().map(Diagnostic::from).collect()
}

/// The `--error-format` of the raw arguments, for errors met before (or
/// while) clap parses them: the last one given before `--` wins, as clap's
/// would.
pub fn format_in_args(args: &[OsString]) -> ErrorFormat {
    let mut format = ErrorFormat::Text;
    let mut args = args.iter().map(|a| a.to_string_lossy());
    while let Some(arg) = args.next() {
        let value = match arg.as_ref() {
            "--" => break,
            "--error-format" => args.next().map(|v| v.into_owned()),
            other => other.strip_prefix("--error-format=").map(str::to_owned),
        };
        match value.as_deref() {
            Some("json") => format = ErrorFormat::Json,
            Some("text") => format = ErrorFormat::Text,
            _ => {}
        }
    }
    format
}

/// A clap error as one diagnostic: its first line without clap's
/// `error: `, for the JSON form (the text form prints clap's own).
pub fn of_clap(error: &clap::Error) -> Diagnostic {
    let rendered = error.render().to_string();
    let first = rendered.lines().next().unwrap_or_default();
    let message = first.strip_prefix("error: ").unwrap_or(first);
    Diagnostic::message(message.to_owned())
}

#[cfg(test)]
mod tests {
    use super::{format_in_args, Diagnostic, ErrorFormat};
    use std::ffi::OsString;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_raw_arguments_name_the_format() {
        let json = ErrorFormat::Json;
        assert_eq!(
            format_in_args(&args(&["x", "--error-format", "json"])),
            json
        );
        assert_eq!(format_in_args(&args(&["x", "--error-format=json"])), json);
        let last_wins = args(&["x", "--error-format=json", "--error-format", "text"]);
        assert_eq!(format_in_args(&last_wins), ErrorFormat::Text);
        let after_dashes = args(&["x", "--", "--error-format", "json"]);
        assert_eq!(format_in_args(&after_dashes), ErrorFormat::Text);
    }

    #[test]
    fn a_file_message_keeps_its_file_apart() {
        let d = Diagnostic::about_file("s.toml", "s.toml: title: bad".into());
        assert_eq!(d.render(ErrorFormat::Text, 2), "error: s.toml: title: bad");
        assert_eq!(
            d.render(ErrorFormat::Json, 2),
            r#"{"file":"s.toml","message":"title: bad","exit_code":2}"#
        );
        let other = Diagnostic::about_file("s.toml", "elsewhere: bad".into());
        assert_eq!(other.render(ErrorFormat::Text, 1), "error: elsewhere: bad");
    }
}
