//! What the CPU reports at run time: its model name and the SIMD features the kernels
//! can use. Benchmarks print it beside every figure, and machine-dependent choices read
//! it instead of one machine's constants.

use std::sync::OnceLock;

/// The CPU this process runs on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpuInfo {
    /// The model name (`/proc/cpuinfo`'s `model name`), or `"unknown"`.
    pub model: String,
    /// SIMD features detected at run time, among `avx512f`, `avx2`, `fma`, `sse4.2`
    /// (x86-64) and `neon` (AArch64).
    pub features: Vec<&'static str>,
    /// Logical cores available to this process.
    pub cores: usize,
}

impl CpuInfo {
    /// Whether a feature was detected.
    pub fn has(&self, feature: &str) -> bool {
        self.features.contains(&feature)
    }

    /// The information as a JSON object (what `cargo xtask bench` prints under `"cpu"`).
    ///
    /// ```
    /// let json = derin_tensor::cpu_info().to_json();
    /// assert!(json.starts_with("{\"model\": \"") && json.contains("\"cores\": "));
    /// ```
    pub fn to_json(&self) -> String {
        let model = self.model.replace('\\', "\\\\").replace('"', "\\\"");
        let features: Vec<String> = self.features.iter().map(|f| format!("\"{f}\"")).collect();
        format!("{{\"model\": \"{model}\", \"features\": [{}], \"cores\": {}}}", features.join(", "), self.cores)
    }
}

/// The CPU this process runs on (read once, then cached).
///
/// ```
/// let cpu = derin_tensor::cpu_info();
/// assert!(cpu.cores >= 1);
/// assert!(!cpu.model.is_empty());
/// ```
pub fn cpu_info() -> &'static CpuInfo {
    static INFO: OnceLock<CpuInfo> = OnceLock::new();
    INFO.get_or_init(|| CpuInfo {
        model: model_name().unwrap_or_else(|| "unknown".into()),
        features: features(),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
    })
}

fn model_name() -> Option<String> {
    let text = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    parse_model_name(&text)
}

/// The first `model name` (x86) or `Model` (ARM) line of a `/proc/cpuinfo` text.
fn parse_model_name(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        matches!(key.trim(), "model name" | "Model").then(|| value.trim().to_string()).filter(|v| !v.is_empty())
    })
}

#[cfg(target_arch = "x86_64")]
fn features() -> Vec<&'static str> {
    let mut out = Vec::new();
    if std::arch::is_x86_feature_detected!("avx512f") {
        out.push("avx512f");
    }
    if std::arch::is_x86_feature_detected!("avx2") {
        out.push("avx2");
    }
    if std::arch::is_x86_feature_detected!("fma") {
        out.push("fma");
    }
    if std::arch::is_x86_feature_detected!("sse4.2") {
        out.push("sse4.2");
    }
    out
}

#[cfg(target_arch = "aarch64")]
fn features() -> Vec<&'static str> {
    if std::arch::is_aarch64_feature_detected!("neon") { vec!["neon"] } else { Vec::new() }
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn features() -> Vec<&'static str> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_model_name_of_x86_and_arm() {
        let x86 =
            "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel\t\t: 143\nmodel name\t: Intel(R) Xeon(R) Processor\n";
        assert_eq!(parse_model_name(x86).as_deref(), Some("Intel(R) Xeon(R) Processor"));
        let arm = "processor\t: 0\nBogoMIPS\t: 50.00\nModel\t\t: Raspberry Pi 4 Model B\n";
        assert_eq!(parse_model_name(arm).as_deref(), Some("Raspberry Pi 4 Model B"));
        assert_eq!(parse_model_name("processor: 0\nmodel name:\n"), None);
    }

    #[test]
    fn json_escapes_the_model_name() {
        let info = CpuInfo { model: "a \"quoted\" cpu".into(), features: vec!["avx2", "fma"], cores: 2 };
        assert_eq!(info.to_json(), r#"{"model": "a \"quoted\" cpu", "features": ["avx2", "fma"], "cores": 2}"#);
        assert!(info.has("fma") && !info.has("avx512f"));
    }
}
