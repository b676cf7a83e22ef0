//! Bytes as a plans CSV and as a rules CSV. Checks: no panic, and what
//! loads obeys RULES.md (prices >= 0 with at most 2 decimals).

#![no_main]

use creditsim::input::plans::load_plans;
use creditsim::input::rules::load_rules;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(plans) = load_plans("plans.csv", data) {
        for plan in plans.iter() {
            assert!(!plan.id.is_empty());
            assert!(plan.price_usd.scale() <= 2, "{}", plan.price_usd);
            assert!(!plan.price_usd.is_sign_negative() || plan.price_usd.is_zero());
            // Every price must print with exactly two decimals.
            let text = creditsim::core::money::Usd(plan.price_usd).to_string();
            assert_eq!(text.split('.').nth(1).map(str::len), Some(2), "{text}");
        }
    }
    if let Err(errors) = load_rules("rules.csv", data) {
        assert!(!errors.0.is_empty());
    }
});
