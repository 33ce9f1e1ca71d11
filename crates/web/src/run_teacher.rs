//! A page search's teacher (knowledge distillation, as the CLI's): which worker trains it and
//! how far it got, its weights once trained, and which workers hold them, so every trial of a
//! search learns from the same teacher. No browser code, so it is tested natively.

use sparse_core::FloatModel;

/// A search's teacher as the page drives it.
#[derive(Clone, Debug, Default)]
pub struct RunTeacher {
    /// Its weights, once trained (or read back from a saved search).
    model: Option<FloatModel>,
    /// Its validation accuracy, when it was trained during this visit.
    accuracy: Option<f64>,
    /// The worker training it and the fraction of its training done.
    training: Option<(usize, f64)>,
    /// Per worker, whether it holds the teacher.
    given: Vec<bool>,
}

impl RunTeacher {
    /// The teacher of a search run by `workers` workers: `model` if one was saved, else one
    /// still to train.
    pub fn new(workers: usize, model: Option<FloatModel>) -> Self {
        Self {
            model,
            accuracy: None,
            training: None,
            given: vec![false; workers],
        }
    }

    /// Its weights, once trained.
    pub fn model(&self) -> Option<&FloatModel> {
        self.model.as_ref()
    }

    /// Its validation accuracy, when it was trained during this visit.
    pub fn accuracy(&self) -> Option<f64> {
        self.accuracy
    }

    /// The worker training it and the fraction done, while one does.
    pub fn training(&self) -> Option<(usize, f64)> {
        self.training
    }

    /// Whether a worker should be asked to train it: none is trained and none is training.
    pub fn needs_trainer(&self) -> bool {
        self.model.is_none() && self.training.is_none()
    }

    /// `worker` was asked to train it.
    pub fn start(&mut self, worker: usize) {
        self.training = Some((worker, 0.0));
    }

    /// `worker` reports `fraction` of the training done.
    pub fn progress(&mut self, worker: usize, fraction: f64) {
        if let Some((trainer, done)) = self.training.as_mut()
            && *trainer == worker
        {
            *done = fraction;
        }
    }

    /// `worker` trained it; `false` (and nothing kept) if that worker was not asked to.
    pub fn trained(&mut self, worker: usize, model: FloatModel, accuracy: f64) -> bool {
        if self.training.map(|(trainer, _)| trainer) != Some(worker) {
            return false;
        }
        self.training = None;
        self.model = Some(model);
        self.accuracy = Some(accuracy);
        self.given.iter_mut().for_each(|g| *g = false);
        true
    }

    /// `worker` is gone or stopped: whatever it held or was training is lost.
    pub fn lost(&mut self, worker: usize) {
        if let Some(given) = self.given.get_mut(worker) {
            *given = false;
        }
        if self.training.map(|(trainer, _)| trainer) == Some(worker) {
            self.training = None;
        }
    }

    /// The weights to send `worker` before its next trial, unless it holds them already (it
    /// is then counted as holding them).
    pub fn give(&mut self, worker: usize) -> Option<FloatModel> {
        let model = self.model.as_ref()?;
        let given = self.given.get_mut(worker)?;
        if *given {
            return None;
        }
        *given = true;
        Some(model.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sparse_core::Architecture;

    fn model() -> FloatModel {
        let architecture = Architecture::skeleton();
        FloatModel {
            layers: Vec::new(),
            architecture,
        }
    }

    #[test]
    fn one_worker_trains_it_and_each_worker_is_given_it_once() {
        let mut teacher = RunTeacher::new(2, None);
        assert!(teacher.needs_trainer());
        assert_eq!(
            teacher.give(0),
            None,
            "nothing to give before it is trained"
        );
        teacher.start(1);
        assert!(!teacher.needs_trainer());
        teacher.progress(0, 0.9);
        teacher.progress(1, 0.4);
        assert_eq!(teacher.training(), Some((1, 0.4)));
        assert!(
            !teacher.trained(0, model(), 0.99),
            "worker 0 was not training it"
        );
        assert!(teacher.trained(1, model(), 0.99));
        assert_eq!((teacher.training(), teacher.accuracy()), (None, Some(0.99)));
        assert!(teacher.give(0).is_some());
        assert!(teacher.give(0).is_none(), "worker 0 holds it already");
        assert!(teacher.give(1).is_some());
        teacher.lost(0);
        assert!(
            teacher.give(0).is_some(),
            "a replaced worker is given it again"
        );
        assert!(!teacher.needs_trainer());
    }

    #[test]
    fn a_teacher_whose_trainer_is_lost_is_asked_of_another_worker() {
        let mut teacher = RunTeacher::new(2, None);
        teacher.start(0);
        teacher.lost(1);
        assert!(
            !teacher.needs_trainer(),
            "losing another worker changes nothing"
        );
        teacher.lost(0);
        assert!(teacher.needs_trainer());
        assert!(
            !teacher.trained(0, model(), 0.5),
            "a lost trainer's late answer is ignored"
        );
    }

    #[test]
    fn a_saved_teacher_needs_no_training() {
        let mut teacher = RunTeacher::new(1, Some(model()));
        assert!(!teacher.needs_trainer());
        assert!(teacher.give(0).is_some());
    }
}
