//! The checks no single field's range can make: names, counts, which
//! sections a kind of service takes, and references between parts (calls,
//! steps, timeline actions). Problems are listed in file order, every one
//! at once.

use super::{
    Problem, RouteSpec, Scenario, ServiceKind, ServiceSpec, StepSpec, MAX_ACTIONS, MAX_SAMPLES,
    MAX_SERVICES, MAX_STEPS, MAX_TASKS,
};
use crate::units::SimTime;
use std::collections::BTreeMap;

/// Back-end calls one route may make.
const MAX_CALLS: usize = 4;
const MAX_VARIANTS: usize = 8;
const MAX_FLAGS: usize = 16;
/// Upper bound of a step's `repeat` range.
const MAX_REPEAT: u32 = 10;

fn push(problems: &mut Vec<Problem>, path: impl Into<String>, message: impl Into<String>) {
    problems.push(Problem::new(path, message));
}

/// Letters, digits, `-` and `_`: safe in paths, share links and pod names.
fn is_identifier(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The names of a table, for messages that list what exists.
pub(super) fn joined_keys<V>(map: &BTreeMap<String, V>) -> String {
    map.keys().cloned().collect::<Vec<_>>().join(", ")
}

impl Scenario {
    /// Every problem, each with its path and what is allowed.
    pub fn validate(&self) -> Vec<Problem> {
        let mut problems = super::params::check_ranges(self);
        self.check_structure(&mut problems);
        problems
    }

    fn check_structure(&self, problems: &mut Vec<Problem>) {
        self.check_name(problems);
        self.check_sampling(problems);
        self.check_service_count(problems);
        for (name, service) in &self.services {
            self.check_service(name, service, problems);
        }
        self.check_flags(problems);
        self.check_workload(problems);
        self.check_timeline(problems);
        self.check_kafka(problems);
        if self.claims.len() > super::MAX_CLAIMS {
            push(
                problems,
                "claims",
                format!("at most {} claims", super::MAX_CLAIMS),
            );
        }
    }

    fn check_name(&self, problems: &mut Vec<Problem>) {
        if self.name.trim().is_empty() {
            push(problems, "name", "must not be empty");
        }
        if !is_identifier(&self.name) {
            push(
                problems,
                "name",
                format!("`{}` may only use letters, digits, `-` and `_`", self.name),
            );
        }
    }

    fn check_sampling(&self, problems: &mut Vec<Problem>) {
        let samples = self.duration.0 .0 / self.sample_interval.0 .0.max(1);
        if samples > MAX_SAMPLES {
            let shortest_interval = SimTime(self.duration.0 .0.div_ceil(MAX_SAMPLES));
            push(
                problems,
                "sample_interval",
                format!(
                    "{} over {} makes {samples} samples; the maximum is {MAX_SAMPLES} (use a sample interval of at least {})",
                    self.sample_interval,
                    self.duration,
                    crate::units::format_duration(shortest_interval)
                ),
            );
        }
        if self.sample_interval.0 > self.duration.0 {
            push(
                problems,
                "sample_interval",
                format!("must not exceed the duration {}", self.duration),
            );
        }
    }

    fn check_service_count(&self, problems: &mut Vec<Problem>) {
        if self.services.is_empty() {
            push(problems, "services", "at least one service is required");
        }
        if self.services.len() > MAX_SERVICES {
            push(
                problems,
                "services",
                format!(
                    "{} services; the maximum is {MAX_SERVICES}",
                    self.services.len()
                ),
            );
        }
    }

    fn check_service(&self, name: &str, service: &ServiceSpec, problems: &mut Vec<Problem>) {
        let base = format!("services.{name}");
        if !is_identifier(name) || name.is_empty() {
            push(
                problems,
                base.clone(),
                "service names may only use letters, digits, `-` and `_`",
            );
        }
        if !has_only_its_own_section(service) {
            push(
                problems,
                base.clone(),
                format!(
                    "has a section for another kind of service; a {} takes only its own section",
                    service.kind.as_str()
                ),
            );
        }
        check_hpa(&base, service, problems);
        check_route_count(&base, service, problems);
        for (route_name, route) in &service.routes {
            let route_path = format!("{base}.routes.{route_name}");
            if service.kind != ServiceKind::NodeFrontend {
                check_node_only_fields(&route_path, route, problems);
            }
            self.check_calls(name, &route_path, route, problems);
        }
    }

    fn check_calls(
        &self,
        caller: &str,
        route_path: &str,
        route: &RouteSpec,
        problems: &mut Vec<Problem>,
    ) {
        if route.calls.len() > MAX_CALLS {
            push(
                problems,
                format!("{route_path}.calls"),
                format!("{} calls; the maximum is {MAX_CALLS}", route.calls.len()),
            );
        }
        for (i, call) in route.calls.iter().enumerate() {
            let path = format!("{route_path}.calls.{i}");
            match self.resolve_call(call) {
                Ok((target, _)) if target == caller => {
                    push(problems, path, "a service cannot call itself")
                }
                Ok((target, _)) if self.services[target].kind == ServiceKind::NodeFrontend => push(
                    problems,
                    path,
                    "a back-end call must go to a worker-pool, go-checkout or python-leaky service",
                ),
                Ok(_) => {}
                Err(message) => push(problems, path, message),
            }
        }
    }

    fn check_flags(&self, problems: &mut Vec<Problem>) {
        for (flag_name, flag) in &self.flags {
            if !flag.variants.contains_key(&flag.default_variant) {
                push(
                    problems,
                    format!("flags.{flag_name}.default_variant"),
                    format!(
                        "`{}` is not one of its variants ({})",
                        flag.default_variant,
                        joined_keys(&flag.variants)
                    ),
                );
            }
            if flag.variants.len() > MAX_VARIANTS {
                push(
                    problems,
                    format!("flags.{flag_name}.variants"),
                    format!("at most {MAX_VARIANTS} variants"),
                );
            }
        }
        if self.flags.len() > MAX_FLAGS {
            push(problems, "flags", format!("at most {MAX_FLAGS} flags"));
        }
    }

    fn check_workload(&self, problems: &mut Vec<Problem>) {
        let w = &self.workload;
        if w.think_time.min > w.think_time.max {
            push(
                problems,
                "workload.think_time.min",
                format!(
                    "{} is above think_time.max {}",
                    w.think_time.min, w.think_time.max
                ),
            );
        }
        check_tasks_count(w.tasks.len(), problems);
        if w.tasks.iter().all(|t| t.weight == 0) && !w.tasks.is_empty() {
            push(
                problems,
                "workload.tasks",
                "at least one task needs a weight above 0",
            );
        }
        if let (Some(start), Some(stop)) = (w.start_at, w.stop_at) {
            if stop <= start {
                push(
                    problems,
                    "workload.stop_at",
                    format!("{stop} is not after start_at {start}"),
                );
            }
        }
        self.check_steps(&w.on_start, "workload.on_start", problems);
        // A task with no steps is allowed: a Locust task that issues nothing
        // (the OTel demo's flood_home with its flag off).
        for (i, task) in w.tasks.iter().enumerate() {
            self.check_steps(&task.steps, &format!("workload.tasks.{i}.steps"), problems);
        }
    }

    fn check_steps(&self, steps: &[StepSpec], path: &str, problems: &mut Vec<Problem>) {
        if steps.len() > MAX_STEPS {
            push(
                problems,
                path,
                format!("{} steps; the maximum is {MAX_STEPS}", steps.len()),
            );
        }
        for (j, step) in steps.iter().enumerate() {
            let step_path = format!("{path}.{j}");
            if let Err(message) = self.resolve_call(&step.call) {
                push(problems, format!("{step_path}.call"), message);
            }
            if let Some([low, high]) = step.repeat {
                if low == 0 || low > high || high > MAX_REPEAT {
                    push(
                        problems,
                        format!("{step_path}.repeat"),
                        format!("[{low}, {high}] must satisfy 1 <= min <= max <= {MAX_REPEAT}"),
                    );
                }
            }
        }
    }

    fn check_timeline(&self, problems: &mut Vec<Problem>) {
        if self.timeline.len() > MAX_ACTIONS {
            push(
                problems,
                "timeline",
                format!(
                    "{} actions; the maximum is {MAX_ACTIONS}",
                    self.timeline.len()
                ),
            );
        }
        for (i, action) in self.timeline.iter().enumerate() {
            let path = format!("timeline.{i}");
            if action.at.0 > self.duration.0 {
                push(
                    problems,
                    path.clone(),
                    format!(
                        "at {} is after the end of the run ({})",
                        action.at, self.duration
                    ),
                );
            }
            if let Err(message) = action.check(self) {
                push(problems, path, message);
            }
        }
    }

    fn check_kafka(&self, problems: &mut Vec<Problem>) {
        let has_checkout = self
            .services
            .values()
            .any(|s| s.kind == ServiceKind::GoCheckout);
        if self.kafka.is_some() && !has_checkout {
            push(
                problems,
                "kafka",
                "only a go-checkout service publishes to Kafka",
            );
        }
    }

    /// `service/route` to the service name and route name, or a message
    /// listing what exists.
    pub fn resolve_call<'a>(&'a self, call: &'a str) -> Result<(&'a str, &'a str), String> {
        let Some((service, route)) = call.split_once('/') else {
            return Err(format!("`{call}` must be written service/route"));
        };
        let Some(spec) = self.services.get(service) else {
            return Err(format!(
                "unknown service `{service}`; the services are {}",
                joined_keys(&self.services)
            ));
        };
        // A go-checkout serves one route, which it does not declare.
        let go_checkout = spec.kind == ServiceKind::GoCheckout;
        let known = if go_checkout {
            route == "place_order"
        } else {
            spec.routes.contains_key(route)
        };
        if !known {
            let routes = if go_checkout {
                "place_order".to_string()
            } else {
                joined_keys(&spec.routes)
            };
            return Err(format!(
                "`{service}` has no route `{route}`; its routes are {routes}"
            ));
        }
        Ok((service, route))
    }
}

/// Each kind reads only its own sections: another kind's would be ignored
/// silently, so it is refused.
fn has_only_its_own_section(service: &ServiceSpec) -> bool {
    let sections = [
        (service.go.is_some(), ServiceKind::GoCheckout),
        (service.checkout.is_some(), ServiceKind::GoCheckout),
        (service.node.is_some(), ServiceKind::NodeFrontend),
        (service.pool.is_some(), ServiceKind::WorkerPool),
        (service.python.is_some(), ServiceKind::PythonLeaky),
    ];
    sections
        .iter()
        .all(|&(present, owner)| !present || owner == service.kind)
}

fn check_hpa(base: &str, service: &ServiceSpec, problems: &mut Vec<Problem>) {
    let Some(hpa) = &service.hpa else {
        return;
    };
    if hpa.min_replicas > hpa.max_replicas {
        push(
            problems,
            format!("{base}.hpa.min_replicas"),
            format!(
                "{} is above max_replicas {}",
                hpa.min_replicas, hpa.max_replicas
            ),
        );
    }
    if service.cpu_limit.is_none() && service.cpu_request.is_none() {
        push(
            problems,
            format!("{base}.hpa"),
            "an HPA on CPU needs cpu_request or cpu_limit",
        );
    }
}

fn check_route_count(base: &str, service: &ServiceSpec, problems: &mut Vec<Problem>) {
    let path = format!("{base}.routes");
    let empty = service.routes.is_empty();
    match service.kind {
        ServiceKind::GoCheckout if !empty => push(
            problems,
            path,
            "a go-checkout serves only place_order; set its latency in checkout.downstream",
        ),
        ServiceKind::PythonLeaky if empty => push(
            problems,
            path,
            "needs at least one route (for example api_data)",
        ),
        ServiceKind::NodeFrontend | ServiceKind::WorkerPool if empty => {
            push(problems, path, "needs at least one route")
        }
        _ => {}
    }
}

/// Fields only a node-frontend's routes use.
fn check_node_only_fields(route_path: &str, route: &RouteSpec, problems: &mut Vec<Problem>) {
    if !route.calls.is_empty() {
        push(
            problems,
            format!("{route_path}.calls"),
            "only a node-frontend calls back ends",
        );
    }
    if route.memory_after.0 != 0 {
        push(
            problems,
            format!("{route_path}.memory_after"),
            "only a node-frontend buffers back-end responses",
        );
    }
    if route.cpu_after.0 != SimTime::ZERO {
        push(
            problems,
            format!("{route_path}.cpu_after"),
            "only a node-frontend has CPU after its back-end calls",
        );
    }
}

fn check_tasks_count(tasks: usize, problems: &mut Vec<Problem>) {
    if tasks == 0 {
        push(problems, "workload.tasks", "at least one task is required");
    }
    if tasks > MAX_TASKS {
        push(
            problems,
            "workload.tasks",
            format!("{tasks} tasks; the maximum is {MAX_TASKS}"),
        );
    }
}
