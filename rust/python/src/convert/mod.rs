//! The one home of argument conversion: every topic file of the binding takes its
//! matrices, vectors, corpora and string choices through these types, so a dtype, a
//! layout or a misspelt option is refused the same way everywhere.
//!
//! - [`matrix::PyMatrix`]: a 2-D float16/float32/float64 numpy array read in place;
//! - [`vector`]: 1-D numpy arrays read in place ([`vector::slice`], and the
//!   [`vector::Weights`] and [`vector::Labels`] unions of dtypes);
//! - [`corpus::Corpus`]: what kernels accept as a corpus;
//! - [`choice`]: string options as `FromPyObject` newtypes with one error shape.

pub mod choice;
pub mod corpus;
pub mod matrix;
pub mod vector;
