//! The search panel's reducer driven by edits, clicks and what the page finds.

use super::*;
use crate::components::search_form::Field;
use crate::search_run::test_support::run_with_done;

/// The panel as a page with no link opens it, on a 2-core machine.
fn opened_panel() -> Rc<PanelState> {
    Rc::new(PanelState::new(Form::from_params(|_| None, 2)))
}

fn reduce(state: Rc<PanelState>, actions: Vec<PanelAction>) -> Rc<PanelState> {
    actions.into_iter().fold(state, |s, a| s.reduce(a))
}

/// A saved search of two finished trials, as IndexedDB gives it back.
fn saved_search() -> Rc<SavedRun> {
    Rc::new(SavedRun::of(&run_with_done(6, 2), "MNIST"))
}

#[test]
fn a_bad_edit_is_named_until_fixed() {
    let panel = opened_panel();
    assert_eq!(panel.form_error, None);
    let uno = sparse_core::boards::Board::preset("arduino-uno").unwrap();
    assert_eq!(panel.form.budget().unwrap(), uno.budget());
    let panel = reduce(
        panel,
        vec![PanelAction::Edit(FormEdit::Field(Field::Sram, "-3".into()))],
    );
    let why = panel.form_error.clone().unwrap();
    assert!(
        why.starts_with("The SRAM budget must be a whole number"),
        "{why}"
    );
    let panel = reduce(
        panel,
        vec![PanelAction::Edit(FormEdit::Field(
            Field::Sram,
            "2048".into(),
        ))],
    );
    assert_eq!(panel.form_error, None);
    assert_eq!(panel.form.budget().unwrap().sram_bytes, 2048);
}

#[test]
fn a_link_sets_the_form_and_the_workers_default_to_the_cores() {
    let link = |key: &str| match key {
        "board" => Some("custom".to_string()),
        "flash" => Some("2800".to_string()),
        "teacher" => Some("0".to_string()),
        _ => None,
    };
    let form = Form::from_params(link, 4);
    assert_eq!(form.budget().unwrap().flash_bytes, 2800);
    let setup = form.setup().unwrap();
    assert!(!setup.teacher);
    assert_eq!(setup.workers, 4);
}

#[test]
fn a_latency_bound_is_priced_on_the_board_and_refused_without_a_core() {
    let edit = |panel, field, text: &str| {
        reduce(
            panel,
            vec![PanelAction::Edit(FormEdit::Field(field, text.into()))],
        )
    };
    // The Uno (the page's default): an AVR at 16 MHz.
    let panel = edit(opened_panel(), Field::MaxLatency, "150");
    let bound = panel.form.budget().unwrap().latency.unwrap();
    assert_eq!(
        (bound.core, bound.clock_hz, bound.max_us),
        (sparse_core::latency::CoreFamily::Avr, 16_000_000, 150_000)
    );
    let panel = edit(panel, Field::MaxLatency, "-2");
    let why = panel.form_error.clone().unwrap();
    assert!(why.starts_with("The latency bound must be"), "{why}");
    // A custom budget names no core.
    let panel = edit(panel, Field::MaxLatency, "150");
    let panel = edit(panel, Field::Flash, "5000");
    let why = panel.form_error.clone().unwrap();
    assert!(
        why.starts_with("A latency bound needs a board preset"),
        "{why}"
    );
    // Blank: no bound.
    let panel = edit(panel, Field::MaxLatency, " ");
    assert_eq!(panel.form_error, None);
    assert_eq!(panel.form.budget().unwrap().latency, None);
}

#[test]
fn a_saved_search_is_offered_until_resumed_or_discarded() {
    let saved = saved_search();
    let panel = reduce(opened_panel(), vec![PanelAction::Found(Ok(saved.clone()))]);
    assert_eq!(panel.offer, Offer::Resumable(saved.clone()));
    // Refused (another dataset loaded): the offer stays, with the reason.
    let panel = reduce(panel, vec![PanelAction::Refused("load MNIST".into())]);
    assert_eq!(panel.offer, Offer::Resumable(saved.clone()));
    assert_eq!(panel.form_error.as_deref(), Some("load MNIST"));
    assert_eq!(
        reduce(panel.clone(), vec![PanelAction::Resuming]).offer,
        Offer::None
    );
    assert_eq!(
        reduce(panel, vec![PanelAction::Discarded]).offer,
        Offer::None
    );

    let unreadable = reduce(
        opened_panel(),
        vec![PanelAction::Found(Err(("{".into(), "damaged".into())))],
    );
    assert_eq!(
        unreadable.offer,
        Offer::Unreadable {
            text: "{".into(),
            why: "damaged".into()
        }
    );
}

#[test]
fn starting_a_search_clears_the_offer_the_opened_run_and_the_selection() {
    let saved = saved_search();
    let panel = reduce(
        opened_panel(),
        vec![
            PanelAction::Found(Ok(saved.clone())),
            PanelAction::Opened("trials.jsonl".into(), saved.records.clone()),
            PanelAction::Select(1),
            PanelAction::Refused("wait for the dataset to load".into()),
        ],
    );
    assert_eq!(panel.opened.as_ref().unwrap().records.len(), 2);
    assert_eq!(panel.selected, Some(1));
    let started = reduce(panel, vec![PanelAction::Started]);
    assert_eq!(started.offer, Offer::None);
    assert_eq!(started.opened, None);
    assert_eq!(started.selected, None);
    assert_eq!(started.form_error, None);
}

#[test]
fn opening_a_run_file_drops_the_selection_and_the_last_error() {
    let panel = reduce(
        opened_panel(),
        vec![
            PanelAction::Select(7),
            PanelAction::Refused("t.jsonl holds no trials".into()),
            PanelAction::Opened("run.jsonl".into(), saved_search().records.clone()),
        ],
    );
    assert_eq!(panel.selected, None);
    assert_eq!(panel.form_error, None);
    assert_eq!(panel.opened.as_ref().unwrap().name, "run.jsonl");
}

#[test]
fn a_header_sorts_largest_first_but_memory_smallest_first_and_a_second_click_flips() {
    let panel = opened_panel();
    assert_eq!(
        panel.order,
        SortOrder {
            column: Column::Id,
            ascending: false
        }
    );
    let by_accuracy = reduce(panel.clone(), vec![PanelAction::Sort(Column::Accuracy)]);
    assert!(!by_accuracy.order.ascending);
    let by_size = reduce(panel.clone(), vec![PanelAction::Sort(Column::ModelSize)]);
    assert!(by_size.order.ascending);
    let flipped = reduce(by_size, vec![PanelAction::Sort(Column::ModelSize)]);
    assert_eq!(
        flipped.order,
        SortOrder {
            column: Column::ModelSize,
            ascending: false
        }
    );
}

#[test]
fn a_repeated_save_outcome_changes_nothing_so_nothing_renders() {
    let panel = opened_panel();
    let failed = panel
        .clone()
        .reduce(PanelAction::Saved(Some("quota exceeded".into())));
    assert_eq!(failed.save_error.as_deref(), Some("quota exceeded"));
    let again = failed
        .clone()
        .reduce(PanelAction::Saved(Some("quota exceeded".into())));
    assert!(Rc::ptr_eq(&failed, &again));
    let worked = again.reduce(PanelAction::Saved(None));
    assert_eq!(worked.save_error, None);
    assert!(Rc::ptr_eq(
        &panel.clone().reduce(PanelAction::Saved(None)),
        &panel
    ));
}
