//! Writes `www/schema.js` from the core's tables (see `blackbox_playground::schema`).

fn main() {
    let text = blackbox_playground::schema::schema_js();
    std::fs::write(blackbox_playground::schema::PATH, text).expect("write www/schema.js");
    println!("wrote {}", blackbox_playground::schema::PATH);
}
