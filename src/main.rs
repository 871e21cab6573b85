fn main() {
    incident_lab::start();
}
