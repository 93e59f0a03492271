//! Token counts and token budgets.
//!
//! - [`TokenCounter`]: per-document token counts with a Hugging Face `tokenizer.json`
//!   (the `tokenizers` crate), in parallel on thresher's rayon pool.
//! - [`DocTokens`]: where a kernel gets each document's count, a counter over the text
//!   column or a precomputed integer column.
//! - [`take_until_budget`], [`take_until_budgets`], [`BudgetTop`]: documents taken in a
//!   priority order (DSIR keys, a random or a weighted order) until a budget of tokens.
//!
//! The samplers by budget (uniform, weighted, per group) are
//! [`crate::sample::keyed_budget`] and [`crate::sample::budget_stream`]; DSIR's is its
//! selection with [`crate::dsir::select::Limit::Tokens`].
//!
//! **The boundary rule** of every budget: documents are taken in priority order while
//! the total stays at most the budget; the first document that would take the total
//! past the budget stops the walk (it and every later document are left out). So the
//! total never exceeds the budget and falls short of it by less than the tokens of the
//! document that stopped the walk (by nothing when every document fits).

mod budget;
mod counter;

pub(crate) use budget::check_available;
pub use budget::{take_until_budget, take_until_budgets, BudgetTop, Ranked};
pub use counter::{count_stream, DocTokens, TokenCounter};
