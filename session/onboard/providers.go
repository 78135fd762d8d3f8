package onboard

import (
	_ "embed"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed data/providers.yaml
var providersYAML []byte

// Provider is a hosting provider's port-25 policy and PTR settings.
type Provider struct {
	ID          string   `yaml:"id"`
	Name        string   `yaml:"name"`
	PTRSuffixes []string `yaml:"ptr_suffixes"`
	Port25      string   `yaml:"port25"`
	OpenPort25  string   `yaml:"open_port25"`
	PTR         string   `yaml:"ptr"`
	Source      string   `yaml:"source"`
}

// Providers is the loaded data.
type Providers struct{ list []Provider }

// LoadProviders parses the embedded data.
func LoadProviders() (*Providers, error) { return parseProviders(providersYAML) }

func parseProviders(data []byte) (*Providers, error) {
	var doc struct {
		Providers []Provider `yaml:"providers"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("providers: %w", err)
	}
	for i, p := range doc.Providers {
		if p.ID == "" || p.Name == "" || p.Port25 == "" || p.OpenPort25 == "" || p.PTR == "" || !strings.HasPrefix(p.Source, "https://") {
			return nil, fmt.Errorf("providers: entry %d (%q) lacks a field or an https source", i, p.ID)
		}
	}
	return &Providers{list: doc.Providers}, nil
}

// All lists the providers in the data's order.
func (p *Providers) All() []Provider { return append([]Provider(nil), p.list...) }

// ByPTR finds the provider whose default PTR names end like name.
func (p *Providers) ByPTR(name string) (Provider, bool) {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	for _, pr := range p.list {
		for _, s := range pr.PTRSuffixes {
			if name == s || strings.HasSuffix(name, "."+s) {
				return pr, true
			}
		}
	}
	return Provider{}, false
}

// ByID finds a provider by its id ("hetzner").
func (p *Providers) ByID(id string) (Provider, bool) {
	for _, pr := range p.list {
		if pr.ID == id {
			return pr, true
		}
	}
	return Provider{}, false
}
