//! The web endpoint in process, over mocks of every port: the error matrix
//! of every operation of the JSON API and of every page.

mod api;
pub(crate) mod fixture;
mod pages;
