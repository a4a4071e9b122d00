//! Number features (sms, mms, voice) and sets of them.
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Feature {
    Sms,
    Mms,
    Voice,
}

impl Feature {
    pub const ALL: [Feature; 3] = [Feature::Sms, Feature::Mms, Feature::Voice];

    pub fn as_str(self) -> &'static str {
        match self {
            Feature::Sms => "sms",
            Feature::Mms => "mms",
            Feature::Voice => "voice",
        }
    }

    const fn bit(self) -> u8 {
        match self {
            Feature::Sms => 1,
            Feature::Mms => 2,
            Feature::Voice => 4,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown feature {0:?}: expected sms, mms or voice")]
pub struct UnknownFeature(pub String);

impl FromStr for Feature {
    type Err = UnknownFeature;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sms" => Ok(Feature::Sms),
            "mms" => Ok(Feature::Mms),
            "voice" => Ok(Feature::Voice),
            _ => Err(UnknownFeature(s.to_owned())),
        }
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of features. Stored as `"sms,mms,voice"` and sent over JSON as `["sms","mms","voice"]`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Features(u8);

impl Features {
    pub const NONE: Features = Features(0);
    pub const ALL: Features = Features(7);

    pub fn contains(self, f: Feature) -> bool {
        self.0 & f.bit() != 0
    }

    pub fn with(self, f: Feature) -> Self {
        Features(self.0 | f.bit())
    }

    pub fn iter(self) -> impl Iterator<Item = Feature> {
        Feature::ALL.into_iter().filter(move |f| self.contains(*f))
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The storage form: comma separated, in a fixed order.
    pub fn to_db(self) -> String {
        self.iter().map(Feature::as_str).collect::<Vec<_>>().join(",")
    }

    pub fn from_db(s: &str) -> Result<Self, UnknownFeature> {
        s.split(',').filter(|p| !p.trim().is_empty()).try_fold(Features::NONE, |acc, p| Ok(acc.with(p.parse()?)))
    }
}

impl FromIterator<Feature> for Features {
    fn from_iter<I: IntoIterator<Item = Feature>>(iter: I) -> Self {
        iter.into_iter().fold(Features::NONE, Features::with)
    }
}

impl fmt::Debug for Features {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Serialize for Features {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Features {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Vec::<Feature>::deserialize(d)?.into_iter().collect())
    }
}

impl utoipa::PartialSchema for Features {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <Vec<Feature> as utoipa::PartialSchema>::schema()
    }
}

impl utoipa::ToSchema for Features {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_round_trip() {
        let f: Features = [Feature::Voice, Feature::Sms].into_iter().collect();
        assert_eq!(f.to_db(), "sms,voice");
        assert_eq!(Features::from_db("sms,voice").unwrap(), f);
        assert_eq!(Features::from_db("").unwrap(), Features::NONE);
        assert!(Features::from_db("sms,fax").is_err());
    }

    #[test]
    fn json_is_an_array() {
        assert_eq!(serde_json::to_string(&Features::ALL).unwrap(), r#"["sms","mms","voice"]"#);
        let f: Features = serde_json::from_str(r#"["mms"]"#).unwrap();
        assert!(f.contains(Feature::Mms) && !f.contains(Feature::Sms));
        assert!(serde_json::from_str::<Features>(r#"["fax"]"#).is_err());
    }
}
