//! Writes a built TFLite graph as the flatbuffer of TFLite's `schema.fbs` (schema version 3),
//! table by table with the `flatbuffers` builder: a table's field `n` is the vtable slot
//! `4 + 2n`.

use super::{Graph, NO_ACTIVATION, Operator, Options, Tensor, VALID};
use flatbuffers::{FlatBufferBuilder, WIPOffset};

/// `BuiltinOptions` union members.
const CONV_2D_OPTIONS: u8 = 1;
const DEPTHWISE_CONV_2D_OPTIONS: u8 = 2;
const POOL_2D_OPTIONS: u8 = 5;
const FULLY_CONNECTED_OPTIONS: u8 = 8;

/// The vtable slot of a table's field `n`.
pub(super) const fn slot(n: u16) -> u16 {
    4 + 2 * n
}

/// The flatbuffer of graph `g` with input tensor `input` and output tensor `output`.
pub(super) fn serialise(g: &Graph, input: i32, output: i32, description: &str) -> Vec<u8> {
    let mut b = FlatBufferBuilder::new();
    let buffers: Vec<_> = g
        .buffers
        .iter()
        .map(|bytes| {
            let data = (!bytes.is_empty()).then(|| b.create_vector(bytes));
            let start = b.start_table();
            if let Some(data) = data {
                b.push_slot_always(slot(0), data);
            }
            b.end_table(start)
        })
        .collect();
    let buffers = b.create_vector(&buffers);
    let tensors: Vec<_> = g.tensors.iter().map(|t| tensor(&mut b, t)).collect();
    let tensors = b.create_vector(&tensors);
    let mut codes: Vec<(i32, i32)> = vec![];
    let operators: Vec<_> = g
        .operators
        .iter()
        .map(|op| {
            let index = codes.iter().position(|&c| c == op.code).unwrap_or_else(|| {
                codes.push(op.code);
                codes.len() - 1
            });
            operator(&mut b, op, index as u32)
        })
        .collect();
    let operators = b.create_vector(&operators);
    let inputs = b.create_vector(&[input]);
    let outputs = b.create_vector(&[output]);
    let name = b.create_string("main");
    let start = b.start_table();
    b.push_slot_always(slot(0), tensors);
    b.push_slot_always(slot(1), inputs);
    b.push_slot_always(slot(2), outputs);
    b.push_slot_always(slot(3), operators);
    b.push_slot_always(slot(4), name);
    let subgraph = b.end_table(start);
    let subgraphs = b.create_vector(&[subgraph]);
    let codes: Vec<_> = codes
        .iter()
        .map(|&(code, version)| {
            let start = b.start_table();
            b.push_slot_always(slot(0), code as i8);
            b.push_slot_always(slot(2), version);
            b.push_slot_always(slot(3), code);
            b.end_table(start)
        })
        .collect();
    let codes = b.create_vector(&codes);
    let description = b.create_string(description);
    let start = b.start_table();
    b.push_slot_always(slot(0), 3u32);
    b.push_slot_always(slot(1), codes);
    b.push_slot_always(slot(2), subgraphs);
    b.push_slot_always(slot(3), description);
    b.push_slot_always(slot(4), buffers);
    let root = b.end_table(start);
    b.finish(root, Some("TFL3"));
    b.finished_data().to_vec()
}

/// One `Tensor` table with its `QuantizationParameters`.
fn tensor<'b>(
    b: &mut FlatBufferBuilder<'b>,
    t: &Tensor,
) -> WIPOffset<flatbuffers::TableFinishedWIPOffset> {
    let scale = b.create_vector(&t.scale);
    let zero_point = b.create_vector(&t.zero_point);
    let start = b.start_table();
    b.push_slot_always(slot(2), scale);
    b.push_slot_always(slot(3), zero_point);
    b.push_slot(slot(6), t.quantized_dimension, 0);
    let quantization = b.end_table(start);
    let shape = b.create_vector(&t.shape);
    let name = b.create_string(&t.name);
    let start = b.start_table();
    b.push_slot_always(slot(0), shape);
    b.push_slot_always(slot(1), t.kind);
    b.push_slot_always(slot(2), t.buffer);
    b.push_slot_always(slot(3), name);
    b.push_slot_always(slot(4), quantization);
    b.end_table(start)
}

/// One `Operator` table with its options.
fn operator<'b>(
    b: &mut FlatBufferBuilder<'b>,
    op: &Operator,
    opcode_index: u32,
) -> WIPOffset<flatbuffers::TableFinishedWIPOffset> {
    let start = b.start_table();
    let kind = match op.options {
        Options::Conv {
            padding,
            stride,
            activation,
        } => {
            b.push_slot_always(slot(0), padding);
            b.push_slot_always(slot(1), stride);
            b.push_slot_always(slot(2), stride);
            b.push_slot_always(slot(3), activation);
            CONV_2D_OPTIONS
        }
        Options::Depthwise { padding, stride } => {
            b.push_slot_always(slot(0), padding);
            b.push_slot_always(slot(1), stride);
            b.push_slot_always(slot(2), stride);
            b.push_slot_always(slot(3), 1i32);
            b.push_slot_always(slot(4), NO_ACTIVATION);
            DEPTHWISE_CONV_2D_OPTIONS
        }
        Options::Pool { size, stride } => {
            b.push_slot_always(slot(0), VALID);
            b.push_slot_always(slot(1), stride);
            b.push_slot_always(slot(2), stride);
            b.push_slot_always(slot(3), size);
            b.push_slot_always(slot(4), size);
            b.push_slot_always(slot(5), NO_ACTIVATION);
            POOL_2D_OPTIONS
        }
        Options::FullyConnected { activation } => {
            b.push_slot_always(slot(0), activation);
            FULLY_CONNECTED_OPTIONS
        }
    };
    let options = b.end_table(start);
    let inputs = b.create_vector(&op.inputs);
    let outputs = b.create_vector(&[op.output]);
    let start = b.start_table();
    b.push_slot_always(slot(0), opcode_index);
    b.push_slot_always(slot(1), inputs);
    b.push_slot_always(slot(2), outputs);
    b.push_slot_always(slot(3), kind);
    b.push_slot_always(slot(4), options);
    b.end_table(start)
}
