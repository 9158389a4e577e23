//! The behaviour every `Store` must have: the five rules of the ingest
//! contract and the query layer, as of any day. Each store's test file runs
//! the whole suite with `conformance_suite!(harness)`.

#![allow(dead_code)]

pub mod actions;
mod builder;
pub mod history;
pub mod ingest;
pub mod queries;
pub mod rollback;

pub use builder::*;

use spot::Store;

/// A store under test, with what keeps its storage alive.
pub struct Fixture {
    pub store: Box<dyn Store>,
    /// Opens a second handle on the same storage whose ingests fail after
    /// the given number of row writes (rule 5).
    pub faulty: Box<dyn Fn(u64) -> Box<dyn Store> + Send + Sync>,
    /// Opens a second handle on the same storage with other `[ingest]`
    /// rules (a store written before the future-day check, say).
    pub with_ingest: Box<dyn Fn(spot::ingest::IngestConfig) -> Box<dyn Store> + Send + Sync>,
    pub _keep: Box<dyn std::any::Any + Send + Sync>,
}

/// Makes fresh, empty stores of one implementation.
pub trait Harness {
    fn fresh(&self) -> Fixture;
}

/// Calls `$callback!(args; module::test, ...)` with every behaviour of the
/// suite, so each store's test file can run them its own way.
#[macro_export]
macro_rules! conformance_tests {
    ($callback:ident, $($args:tt)*) => {
        $crate::$callback! { $($args)*;
            ingest::new_items_open_versions_from_their_day,
            ingest::an_unchanged_observation_writes_nothing,
            ingest::attribute_order_is_not_a_change,
            ingest::a_change_closes_the_old_version_and_opens_a_new_one,
            ingest::a_complete_run_closes_what_it_no_longer_sees,
            ingest::a_partial_run_closes_nothing,
            ingest::a_failed_run_closes_nothing_and_is_recorded,
            ingest::unobserved_parts_carry_forward_while_the_rest_is_diffed,
            ingest::a_run_keeps_its_warnings_until_it_is_replaced,
            ingest::each_source_owns_only_its_own_facts,
            ingest::rerunning_a_day_is_idempotent,
            ingest::a_later_run_of_the_same_day_replaces_it,
            ingest::an_older_day_is_refused,
            ingest::an_empty_scope_accepts_an_older_day,
            ingest::a_day_beyond_the_future_allowance_is_refused,
            ingest::a_failed_rerun_keeps_the_committed_day,
            ingest::a_failure_mid_write_leaves_the_last_commit_intact,
            ingest::an_invalid_observation_writes_nothing,
            ingest::relation_endpoints_get_anchors,
            ingest::a_lease_has_one_holder_until_it_expires,
            history::retention_drops_only_old_closed_versions_of_its_source,
            queries::an_entity_merges_facts_per_source,
            queries::the_latest_day_ignores_failed_runs,
            queries::search_finds_live_entities_best_first,
            queries::search_finds_catalog_descriptions_and_tags,
            queries::relations_follow_direction_and_kind,
            queries::traversal_reports_depth_and_survives_cycles,
            queries::traversal_is_as_of_its_day,
            queries::a_traversal_of_thousands_of_edges_is_whole,
            queries::traversal_can_mix_directions_per_kind,
            queries::traversal_refuses_bad_bounds,
            queries::a_timeline_merges_equal_consecutive_values,
            queries::a_timeline_reads_nested_paths_and_filters_sources,
            queries::changes_classify_entities_and_relations,
            queries::a_change_reverted_in_between_is_no_change,
            queries::runs_filter_by_source_and_range,
            history::relation_history_spans_the_range,
            history::neighbours_map_many_entities_at_once,
            history::attribute_values_cover_a_kind_on_a_day,
            history::attribute_value_versions_cover_a_range,
            history::relation_spans_cover_a_range,
            history::entities_of_kind_come_with_the_sources_that_see_them,
            history::relation_values_cover_a_kind_on_a_day,
            history::relation_value_versions_cover_a_range,
            history::deploy_events_are_kept_and_filtered,
            history::a_deploy_reported_again_takes_its_outcome_and_keeps_the_rest,
            rollback::a_rollback_restores_the_scope_as_its_last_run_before_the_day_left_it,
            rollback::a_rollback_is_recorded_once_and_running_it_again_changes_nothing,
            rollback::a_rolled_back_future_day_frees_its_scope,
            rollback::a_batch_refused_by_a_rule_writes_nothing,
            actions::actions_are_recorded_once_and_read_newest_first,
            actions::actions_filter_by_service_workload_cluster_kind_and_time,
            actions::warnings_add_up_in_their_window,
            actions::the_watch_memory_is_kept_per_cluster_with_its_actions,
            actions::retention_drops_actions_by_their_last_occurrence,
            actions::a_bad_window_of_actions_is_refused,
            actions::actions_and_the_watch_memory_move_with_an_export,
        }
    };
}

/// One `#[tokio::test]` per behaviour, so each failure names its rule.
#[macro_export]
macro_rules! conformance_suite {
    ($harness:expr) => {
        $crate::conformance_tests!(conformance_tokio_tests, $harness);
    };
}

#[macro_export]
macro_rules! conformance_tokio_tests {
    ($harness:expr; $($module:ident :: $name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                conformance::$module::$name(&$harness).await;
            }
        )*
    };
}

/// A behaviour as a value, for a test binary with its own runner.
pub type Trial<H> = for<'a> fn(&'a H) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + 'a>>;

/// Every behaviour as `(name, Trial)`, for a harness type.
#[macro_export]
macro_rules! conformance_list {
    ($harness:ty; $($module:ident :: $name:ident),* $(,)?) => {
        vec![
            $(
                (concat!(stringify!($module), "::", stringify!($name)), {
                    fn trial(h: &$harness) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + '_>> {
                        Box::pin(conformance::$module::$name(h))
                    }
                    trial as conformance::Trial<$harness>
                }),
            )*
        ]
    };
}
