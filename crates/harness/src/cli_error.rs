//! Errors the command reports: one line per problem, and an exit code.

use incident_core::Problems;

pub enum CliError {
    /// Bad input: exit code 2.
    Input(Vec<String>),
    /// Something failed while running: exit code 1.
    Failed(String),
}

impl CliError {
    pub fn input(message: impl Into<String>) -> CliError {
        CliError::Input(vec![message.into()])
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Input(_) => 2,
            CliError::Failed(_) => 1,
        }
    }

    pub fn report(&self) {
        match self {
            CliError::Input(lines) => {
                for line in lines {
                    eprintln!("error: {line}");
                }
            }
            CliError::Failed(message) => eprintln!("error: {message}"),
        }
    }
}

impl From<Problems> for CliError {
    fn from(p: Problems) -> CliError {
        CliError::Input(p.0.iter().map(|p| p.to_string()).collect())
    }
}
