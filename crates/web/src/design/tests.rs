//! Design mode's network checked: the starter's cost, layers added before the output, a wide first
//! layer over the SRAM budget and how to fix it, a layer that cannot be built, pruning per layer
//! kind, the design in the URL, and a pruned candidate opened with its densities cleared.

use super::*;

fn uno() -> Budget {
    Budget::new(2800, 2048)
}

#[test]
fn the_starter_fits_and_its_cost_is_the_cost_models() {
    let design = Design::starter([1, 28, 28], 10);
    let assessment = design.assess(&uno());
    assert_eq!(assessment.problems, Vec::<String>::new());
    let pruned = assessment.pruned.unwrap();
    assert_eq!(pruned, cost(&design.expected_architecture()).unwrap());
    assert!(pruned.model_size_bytes < assessment.dense.unwrap().model_size_bytes);
}

#[test]
fn layers_are_added_before_the_output_and_the_output_stays_put() {
    let mut design = Design::starter([1, 28, 28], 10);
    design.apply(DesignEdit::Add(LayerKind::Dense));
    assert_eq!(design.hidden().len(), 3);
    assert_eq!(design.hidden()[2].describe(), "dense 16");
    assert_eq!(design.architecture.layers[3].describe(), "dense 10");
    // The output layer cannot be removed, moved or resized.
    for edit in [
        DesignEdit::Remove(3),
        DesignEdit::Down(2),
        DesignEdit::Set(3, LayerField::Width, 99),
    ] {
        let before = design.clone();
        design.apply(edit);
        assert_eq!(design, before);
    }
    design.apply(DesignEdit::Up(1));
    assert_eq!(design.hidden()[0].describe(), "maxpool 2×2");
    design.apply(DesignEdit::Remove(0));
    assert_eq!(design.hidden()[0].describe(), "conv 3×3×4");
}

#[test]
fn a_wide_first_layer_breaks_the_sram_budget_and_says_where_and_how_to_fix_it() {
    let mut design = Design::starter([1, 28, 28], 10);
    design.apply(DesignEdit::Set(0, LayerField::Width, 16));
    let problems = design.assess(&uno()).problems;
    let sram = problems
        .iter()
        .find(|p| p.starts_with("Its activations need"))
        .unwrap_or_else(|| panic!("{problems:?}"));
    assert!(sram.contains("at conv 3×3×16"), "{sram}");
    design.apply(DesignEdit::Set(0, LayerField::Width, 4));
    assert_eq!(design.assess(&uno()).problems, Vec::<String>::new());
}

#[test]
fn a_layer_that_cannot_be_built_is_explained() {
    let mut design = Design::starter([1, 28, 28], 10);
    design.apply(DesignEdit::Set(0, LayerField::Padding, 0));
    design.apply(DesignEdit::Set(0, LayerField::Size, 40));
    let assessment = design.assess(&uno());
    assert!(assessment.dense.is_none());
    assert!(assessment.problems[0].starts_with("It cannot be built:"));
}

#[test]
fn pruning_applies_to_conv_and_dense_layers_only() {
    let mut design = Design::starter([1, 28, 28], 10);
    let spvd = Some(Pruning::Spvd { log_alpha: 3.0 });
    assert_eq!(design.layer_pruning(), vec![spvd, None, spvd]);
    design.apply(DesignEdit::Pruning(PruningMethod::None));
    assert_eq!(design.layer_pruning(), vec![None, None, None]);
    let assessment = design.assess(&uno());
    assert_eq!(assessment.dense, assessment.pruned);
}

#[test]
fn a_design_travels_in_the_url_and_a_foreign_one_is_refused() {
    let mut design = Design::starter([1, 28, 28], 10);
    design.apply(DesignEdit::Pruning(PruningMethod::Bc));
    design.apply(DesignEdit::Epochs(99));
    assert_eq!(design.epochs, MAX_EPOCHS);
    let text = design.to_query();
    assert_eq!(Design::from_query(&text, [1, 28, 28], 10), Ok(design));
    let error = Design::from_query(&text, [1, 12, 12], 3).unwrap_err();
    assert!(error.contains("not this dataset's 1×12×12 of 3"), "{error}");
    assert!(Design::from_query("{", [1, 28, 28], 10).is_err());
}

#[test]
fn a_pruned_candidate_opens_with_its_densities_cleared() {
    let mut pruned = Design::starter([1, 28, 28], 10).architecture;
    if let Layer::Conv(c) = &mut pruned.layers[0] {
        c.density = Some(0.3);
    }
    let design = Design::from_architecture(&pruned, PruningMethod::Spvd);
    assert_eq!(design, Design::starter([1, 28, 28], 10));
}
