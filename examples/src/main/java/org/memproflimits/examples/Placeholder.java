package org.memproflimits.examples;
final class Placeholder {}
