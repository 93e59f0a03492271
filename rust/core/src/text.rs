//! Zero-copy access to Arrow string columns of any of the three layouts.

use arrow_array::{
    cast::AsArray, Array, LargeStringArray, RecordBatch, StringArray, StringViewArray,
};
use arrow_schema::DataType;

use crate::{Error, Location, Result};

/// The column `name` of `batch`, or [`Error::MissingField`] naming it.
pub fn column_by_name<'a>(
    batch: &'a RecordBatch,
    name: &str,
    first_row: u64,
) -> Result<&'a arrow_array::ArrayRef> {
    batch
        .column_by_name(name)
        .ok_or_else(|| Error::MissingField {
            location: Location::Row { row: first_row },
            field: name.to_string(),
        })
}

/// Fail with [`Error::MissingField`] naming the first null row of `array` (column
/// `name` of a batch whose first row is `first_row`), if any.
pub fn reject_nulls(array: &dyn Array, name: &str, first_row: u64) -> Result<()> {
    if let Some(nulls) = array.logical_nulls() {
        if let Some(i) = (0..array.len()).find(|&i| nulls.is_null(i)) {
            return Err(Error::MissingField {
                location: Location::Row {
                    row: first_row + i as u64,
                },
                field: name.to_string(),
            });
        }
    }
    Ok(())
}

/// A borrowed view of a string column: `string`, `large_string` or `string_view`.
#[derive(Clone, Copy)]
pub enum TextColumn<'a> {
    /// 32-bit offsets.
    Utf8(&'a StringArray),
    /// 64-bit offsets.
    LargeUtf8(&'a LargeStringArray),
    /// String views (polars' default export).
    Utf8View(&'a StringViewArray),
}

impl<'a> TextColumn<'a> {
    /// Wrap `array`, or fail naming `field` if it is not a string column.
    pub fn try_new(array: &'a dyn Array, field: &str) -> Result<Self> {
        match array.data_type() {
            DataType::Utf8 => Ok(TextColumn::Utf8(array.as_string::<i32>())),
            DataType::LargeUtf8 => Ok(TextColumn::LargeUtf8(array.as_string::<i64>())),
            DataType::Utf8View => Ok(TextColumn::Utf8View(array.as_string_view())),
            other => Err(Error::FieldType {
                location: Location::Row { row: 0 },
                field: field.to_string(),
                expected: "a string column".into(),
                found: other.to_string(),
            }),
        }
    }

    /// The column named `name` of `batch`, which must exist, be a string column and
    /// hold no null. `first_row` is the global index of the batch's first row, used
    /// to name the row at fault.
    pub fn from_batch(batch: &'a RecordBatch, name: &str, first_row: u64) -> Result<Self> {
        let array = column_by_name(batch, name, first_row)?;
        let column = Self::try_new(array.as_ref(), name).map_err(|e| match e {
            Error::FieldType {
                field,
                expected,
                found,
                ..
            } => Error::FieldType {
                location: Location::Row { row: first_row },
                field,
                expected,
                found,
            },
            other => other,
        })?;
        reject_nulls(array.as_ref(), name, first_row)?;
        Ok(column)
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            TextColumn::Utf8(a) => a.len(),
            TextColumn::LargeUtf8(a) => a.len(),
            TextColumn::Utf8View(a) => a.len(),
        }
    }

    /// Whether the column has no row.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The text of row `i` (a null reads as the empty string).
    #[inline]
    pub fn value(&self, i: usize) -> &'a str {
        match self {
            TextColumn::Utf8(a) => a.value(i),
            TextColumn::LargeUtf8(a) => a.value(i),
            TextColumn::Utf8View(a) => a.value(i),
        }
    }

    /// Total bytes of text in the column.
    pub fn total_bytes(&self) -> usize {
        match self {
            TextColumn::Utf8(a) => a.value_data().len(),
            TextColumn::LargeUtf8(a) => a.value_data().len(),
            TextColumn::Utf8View(a) => (0..a.len()).map(|i| a.value(i).len()).sum(),
        }
    }
}
