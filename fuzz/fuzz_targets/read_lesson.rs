//! Any bytes, read as a lesson file, must give a lesson or a list of
//! problems, never a panic; reading only its shape must agree with the
//! whole check on whether the shape is wrong.

#![no_main]

use incident_core::lesson::Lesson;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Lesson::parse(text) {
        Ok(_) => assert!(Lesson::read(text).is_ok(), "a whole lesson has a sound shape"),
        Err(problems) => assert!(!problems.0.is_empty(), "an error names a problem"),
    }
});
