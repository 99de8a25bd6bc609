// STUB
//! stub
