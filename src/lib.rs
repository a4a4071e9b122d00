pub mod domain;
pub mod routing;
pub mod telnyx;
