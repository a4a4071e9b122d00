//! wiremock tests of the Telnyx client.
